package procgroup

// On macOS there is no child subreaper, so golive keeps track of the
// program's tree itself. Every check reads the whole process table
// (sysctl kern.proc.all) and takes from it the live processes of the
// program's group and the live descendants of that group that moved to
// groups of their own (groupTree). Such an escaper is signalled along
// with the group and remembered, by pid and start time, until it is
// gone: its parent may die of the same signal, and then the parent pid
// that led to it points at launchd, but golive still waits for it and
// still kills it. An escaper whose parent was gone before the stop began
// cannot be found this way (docs/supervision.md says so).

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sZomb is SZOMB of <sys/proc.h>: a process that exited and is not
// reaped yet.
const sZomb = 5

// osGroup remembers the escapers found in the group's tree until they
// are gone.
type osGroup struct {
	mu       sync.Mutex
	escapers map[procInfo]bool // by pid and start time
}

// prepare puts cmd in a group of its own. macOS has no parent-death
// signal: a golive that is SIGKILLed leaves its program running
// (docs/supervision.md says so).
func prepare(cmd *exec.Cmd) {
	setpgid(cmd)
}

func (g *osGroup) init(*os.Process) error { return nil }

// signal sends sig to the escapers of p's tree, then to its group: the
// escapers first, while the processes that started them still live and
// the tree leads to them.
func (g *osGroup) signal(p *os.Process, sig os.Signal) error {
	s, ok := unixSignal(sig)
	if _, outside, err := g.left(p.Pid); ok && err == nil {
		for _, e := range outside {
			syscall.Kill(e.pid, s)
		}
	}
	return signalPgid(p, sig)
}

// gone reports whether nothing of p's tree is left alive: no live process
// of its group, and no live escaper of it. Without a process table it
// falls back to asking the group.
func (g *osGroup) gone(p *os.Process) bool {
	members, outside, err := g.left(p.Pid)
	if err != nil {
		return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
	}
	return len(members) == 0 && len(outside) == 0
}

func (g *osGroup) release() {}

// left scans the table and returns the live processes of group pgid and
// the live escapers of its tree, the remembered ones included. It forgets
// escapers that are gone.
func (g *osGroup) left(pgid int) (members, outside []procInfo, err error) {
	procs, err := scanProcs()
	if err != nil {
		return nil, nil, err
	}
	members, found := groupTree(procs, pgid)
	live := make(map[procInfo]bool, len(procs))
	for _, p := range procs {
		if !p.zombie {
			live[procInfo{pid: p.pid, start: p.start}] = true
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.escapers == nil {
		g.escapers = map[procInfo]bool{}
	}
	for _, p := range found {
		g.escapers[procInfo{pid: p.pid, start: p.start}] = true
	}
	for k := range g.escapers {
		if live[k] {
			outside = append(outside, k)
		} else {
			delete(g.escapers, k) // exited, or its pid now names another process
		}
	}
	return members, outside, nil
}

// scanProcs reads the process table.
func scanProcs() ([]procInfo, error) {
	kp, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	procs := make([]procInfo, len(kp))
	for i := range kp {
		k := &kp[i]
		procs[i] = procInfo{
			pid:    int(k.Proc.P_pid),
			ppid:   int(k.Eproc.Ppid),
			pgid:   int(k.Eproc.Pgid),
			zombie: k.Proc.P_stat == sZomb,
			start:  k.Proc.P_starttime.Sec*1e6 + int64(k.Proc.P_starttime.Usec),
		}
	}
	return procs, nil
}

// BecomeSubreaper does nothing: only Linux has child subreapers.
func BecomeSubreaper() error { return nil }
