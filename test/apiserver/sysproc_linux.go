package apiserver

import "syscall"

// sysProcAttr makes the kernel kill a server process when the test binary
// dies without calling Stop (a panic, a timeout, ^C), so no etcd or
// kube-apiserver outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
