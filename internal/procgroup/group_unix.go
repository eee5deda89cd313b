//go:build unix && !linux && !darwin && !freebsd

package procgroup

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// The other Unix systems (OpenBSD, NetBSD, DragonFly, Solaris, illumos,
// AIX): a group of its own, and the group's id to ask with.

// osGroup needs no state: the group's id is all golive asks with.
type osGroup struct{}

// prepare puts cmd in a group of its own. These systems have no
// parent-death signal: a golive that is SIGKILLed leaves its program
// running (docs/supervision.md says so).
func prepare(cmd *exec.Cmd) {
	setpgid(cmd)
}

func (osGroup) init(*os.Process) error { return nil }

// signal sends sig to p's group; a stop reaches the group only.
func (osGroup) signal(p *os.Process, sig os.Signal) error {
	return signalPgid(p, sig)
}

// gone reports whether no process of p's group is left. A group's id is
// its leader's pid, and it is not reused while any member lives. A zombie
// still counts: these systems' process tables are not read.
func (osGroup) gone(p *os.Process) bool {
	return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
}

func (osGroup) release() {}

// BecomeSubreaper does nothing: golive uses child subreapers on Linux only.
func BecomeSubreaper() error { return nil }
