package runner

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// setParentDeath asks the kernel to SIGKILL the program if golive dies
// without stopping it. It reaches the direct child only.
func setParentDeath(a *syscall.SysProcAttr) {
	a.Pdeathsig = syscall.SIGKILL
}

// BecomeSubreaper makes golive the parent of every orphan in its process
// tree, instead of init. Then a grandchild whose parent died is still
// golive's to find and reap: without it such a zombie waits for an init
// that may reap late (or never, in a container), and stays in its group.
func BecomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// groupGone reports whether no live process of p's group is left, reaping
// the group's zombies that were re-parented to golive on the way. It
// reaps by pid, never with wait(-1), so os/exec still gets the exit
// status of every process it started.
func groupGone(p *os.Process) bool {
	self := os.Getpid()
	gone := true
	eachProc(func(st procStat) {
		if st.pgid != p.Pid {
			return
		}
		if st.state != 'Z' {
			gone = false
			return
		}
		if st.ppid == self && st.pid != p.Pid {
			var ws unix.WaitStatus
			unix.Wait4(st.pid, &ws, unix.WNOHANG, nil)
		}
	})
	return gone
}

// signalEscapers does nothing: on Linux the keeper finds and signals
// the processes that left the program's group (keeper_linux.go); a
// direct start reaches the group only.
func signalEscapers(int, syscall.Signal) {}

// procStat is what golive reads of /proc/PID/stat.
type procStat struct {
	pid, ppid, pgid int
	state           byte
}

// eachProc calls fn for every process it can read; ones that vanish
// mid-scan are skipped.
func eachProc(fn func(procStat)) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			fn(st)
		}
	}
}

// readStat parses /proc/PID/stat. The command name is in parentheses and
// may itself hold spaces and parentheses, so fields are counted from the
// last ')'.
func readStat(pid int) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 4 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	pgid, _ := strconv.Atoi(string(f[2]))
	return procStat{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0]}, true
}
