//go:build !linux

package emulator

import (
	"os"
	"syscall"
)

// ChildProcess has no portable equivalent outside Linux; Stop ends the
// children there.
func ChildProcess() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// KillGroup kills pid (its children are left to it outside Linux).
func KillGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
