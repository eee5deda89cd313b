//go:build !unix && !windows

package signals

import "os"

// table holds what os defines everywhere: an interrupt and a kill.
var table = []entry{{"SIGINT", os.Interrupt}, {"SIGKILL", os.Kill}}

// Exit is always empty: the process state carries no signal here.
func Exit(*os.ProcessState) string { return "" }
