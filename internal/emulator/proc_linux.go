package emulator

import "syscall"

// ChildProcess makes the kernel kill a child process (an emulator, a
// bootstrap) when the process that started it dies, so a killed test run
// leaves no server behind, and gives it a process group of its own, so its
// own children can be ended with it (KillGroup).
func ChildProcess() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// KillGroup kills the process group ChildProcess gave pid.
func KillGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
