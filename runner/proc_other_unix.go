//go:build unix && !linux

package runner

import (
	"errors"
	"os"
	"syscall"
)

// setParentDeath does nothing: only Linux has a parent-death signal. On
// macOS and the BSDs a golive that is SIGKILLed leaves its program running
// (docs/supervision.md says so).
func setParentDeath(*syscall.SysProcAttr) {}

// BecomeSubreaper does nothing: only Linux has child subreapers.
func BecomeSubreaper() error { return nil }

// groupGone reports whether no process of p's group is left. A group's id
// is its leader's pid, and it is not reused while any member lives.
func groupGone(p *os.Process) bool {
	return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
}
