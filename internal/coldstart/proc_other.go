//go:build !linux

package coldstart

import "syscall"

// dieWithParent has no portable equivalent outside Linux; Stop ends the
// bootstraps there.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
