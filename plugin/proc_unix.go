//go:build unix

package plugin

import (
	"os/exec"
	"syscall"
	"time"
)

// killWithChildren makes cancelling cmd's context kill its whole process
// group: go build's compile and link children too, which would otherwise
// finish a stale build on a busy machine.
func killWithChildren(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
