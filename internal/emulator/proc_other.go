//go:build !linux

package emulator

import "syscall"

// dieWithParent has no portable equivalent outside Linux; Stop ends the
// emulators there.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
