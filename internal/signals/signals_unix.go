//go:build unix

package signals

import (
	"os"
	"syscall"
)

var table = []entry{
	{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}, {"SIGHUP", syscall.SIGHUP},
	{"SIGQUIT", syscall.SIGQUIT}, {"SIGKILL", syscall.SIGKILL}, {"SIGUSR1", syscall.SIGUSR1},
	{"SIGUSR2", syscall.SIGUSR2},
}

// Exit names the signal that ended the process, if one did.
func Exit(st *os.ProcessState) string {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return ""
	}
	return Name(ws.Signal())
}
