//go:build unix && !linux && !darwin && !freebsd

package runner

import (
	"errors"
	"os"
	"syscall"
)

// groupGone reports whether no process of p's group is left. A group's id
// is its leader's pid, and it is not reused while any member lives. (On
// Linux, macOS and FreeBSD golive scans the process table instead.)
func groupGone(p *os.Process) bool {
	return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
}

// signalEscapers does nothing: a stop reaches the program's group only.
func signalEscapers(int, syscall.Signal) {}
