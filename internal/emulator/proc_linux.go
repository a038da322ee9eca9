package emulator

import "syscall"

// dieWithParent makes the kernel kill an emulator when the process that
// started it dies, so a killed test run leaves no server behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
