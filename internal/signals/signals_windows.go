package signals

import (
	"os"
	"syscall"
)

// table holds the signals syscall defines on Windows. SIGUSR1 and SIGUSR2
// do not exist there, so a config that names them is refused. The
// supervisor sends every one but SIGKILL as CTRL_BREAK_EVENT.
var table = []entry{
	{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}, {"SIGHUP", syscall.SIGHUP},
	{"SIGQUIT", syscall.SIGQUIT}, {"SIGKILL", syscall.SIGKILL},
}

// Exit is always empty: Windows has no signals, and a process that was
// terminated just has the exit code it was given.
func Exit(*os.ProcessState) string { return "" }
