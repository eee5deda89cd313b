//go:build unix

package procgroup

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// What every Unix system's file shares: a group of its own, signals to
// the whole group by its id, and kill(pid, 0) for a pid's existence.

func setpgid(cmd *exec.Cmd) *syscall.SysProcAttr {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	return cmd.SysProcAttr
}

// signalPgid sends sig to the group p leads. A group with nothing left
// is no error.
func signalPgid(p *os.Process, sig os.Signal) error {
	s, ok := unixSignal(sig)
	if !ok {
		return p.Signal(sig)
	}
	err := syscall.Kill(-p.Pid, s)
	if errors.Is(err, syscall.ESRCH) {
		return nil // nothing left to signal
	}
	return err
}

// Alive reports whether a process with this pid exists.
func Alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// unixSignal is sig as kill(2) takes it.
func unixSignal(sig os.Signal) (syscall.Signal, bool) {
	if sig == os.Kill {
		return syscall.SIGKILL, true
	}
	s, ok := sig.(syscall.Signal)
	return s, ok
}
