package coldstart

import "syscall"

// dieWithParent makes the kernel kill a bootstrap when the benchmark that
// started it dies, so an interrupted run leaves no process behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
