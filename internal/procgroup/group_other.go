//go:build !unix && !windows

package procgroup

import (
	"os"
	"os/exec"
)

// Everywhere else (Plan 9, WebAssembly hosts) golive knows no process
// groups: the command is its own group, and its own exit is all golive
// can see of it.

type osGroup struct{}

func prepare(*exec.Cmd) {}

func (osGroup) init(*os.Process) error { return nil }

func (osGroup) signal(p *os.Process, sig os.Signal) error {
	if sig == os.Kill {
		return p.Kill()
	}
	return p.Signal(sig)
}

// gone is true: the leader's exit, which the caller waits for, is all
// there is to wait for.
func (osGroup) gone(*os.Process) bool { return true }

func (osGroup) release() {}

// BecomeSubreaper does nothing here.
func BecomeSubreaper() error { return nil }

// Alive is true: with no way to ask, a process is taken to be alive, so
// nothing of its is removed.
func Alive(int) bool { return true }
