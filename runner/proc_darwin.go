package runner

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
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sZomb is SZOMB of <sys/proc.h>: a process that exited and is not
// reaped yet.
const sZomb = 5

// escapers are the processes outside the program's group found in its
// tree, by group id, kept until they are gone.
var escapers = struct {
	sync.Mutex
	m map[int]map[procInfo]bool
}{m: map[int]map[procInfo]bool{}}

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

// leftOf scans the table and returns the live processes of group pgid
// and the live escapers of its tree, the remembered ones included. It
// forgets escapers that are gone, and the group once nothing is left.
func leftOf(pgid int) (members, outside []procInfo, err error) {
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
	escapers.Lock()
	defer escapers.Unlock()
	known := escapers.m[pgid]
	if known == nil {
		known = map[procInfo]bool{}
	}
	for _, p := range found {
		known[procInfo{pid: p.pid, start: p.start}] = true
	}
	for k := range known {
		if live[k] {
			outside = append(outside, k)
		} else {
			delete(known, k) // exited, or its pid now names another process
		}
	}
	if len(members) == 0 && len(known) == 0 {
		delete(escapers.m, pgid)
	} else {
		escapers.m[pgid] = known
	}
	return members, outside, nil
}

// signalEscapers sends sig to the processes of p's tree outside its
// group. It runs before the group is signalled, while the processes that
// started them still live and the tree leads to them.
func signalEscapers(pgid int, sig syscall.Signal) {
	_, outside, err := leftOf(pgid)
	if err != nil {
		return
	}
	for _, p := range outside {
		syscall.Kill(p.pid, sig)
	}
}

// groupGone reports whether nothing of p's tree is left alive: no live
// process of its group, and no live escaper of it. Without a process
// table it falls back to asking the group.
func groupGone(p *os.Process) bool {
	members, outside, err := leftOf(p.Pid)
	if err != nil {
		return errors.Is(syscall.Kill(-p.Pid, 0), syscall.ESRCH)
	}
	return len(members) == 0 && len(outside) == 0
}
