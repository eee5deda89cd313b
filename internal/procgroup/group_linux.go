package procgroup

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// osGroup needs no state on Linux: the group's id finds its members in
// /proc.
type osGroup struct{}

// prepare puts cmd in a group of its own, so that a stop reaches
// everything it started and the terminal's Ctrl-C reaches only golive,
// and asks the kernel to SIGKILL it if golive dies without stopping it.
// That parent-death signal reaches the direct child only, and fires when
// the thread that started it exits (go.dev/issue/27505): the keeper, not
// this, is what takes a program's whole tree down with golive.
func prepare(cmd *exec.Cmd) {
	setpgid(cmd).Pdeathsig = syscall.SIGKILL
}

func (osGroup) init(*os.Process) error { return nil }

func (osGroup) signal(p *os.Process, sig os.Signal) error {
	return signalPgid(p, sig)
}

// gone reports whether no live process of p's group is left, reaping the
// group's zombies that were re-parented to golive on the way. It reaps by
// pid, never with wait(-1), so os/exec still gets the exit status of
// every process it started.
func (osGroup) gone(p *os.Process) bool {
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

func (osGroup) release() {}

// BecomeSubreaper makes golive the parent of every orphan in its process
// tree, instead of init. Then a grandchild whose parent died is still
// golive's to find and reap: without it such a zombie waits for an init
// that may reap late (or never, in a container), and stays in its group.
func BecomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// Descendants lists the live (not zombie) descendants of root. Linux
// only: the keeper, a child subreaper, finds every process of the
// program's tree this way. It follows the kernel's lists of each task's
// children, a few reads for a small tree where a scan of /proc reads
// every process on the machine (about 3 ms for 80 of them); without
// those lists (a kernel built without CONFIG_PROC_CHILDREN) it scans.
// A list read while a sibling is reaped may skip a live child
// (proc_tid_children(5)): a caller that must not miss one confirms an
// empty answer with DescendantsByScan.
func Descendants(root int) []int {
	if _, err := os.Stat(childrenFile(root, root)); err != nil {
		return DescendantsByScan(root)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range childrenOf(p) {
			st, ok := readStat(c)
			if !ok || (st.ppid != p && st.ppid != root) {
				continue // gone, or its pid reused since the list was read
			}
			if st.state != 'Z' {
				out = append(out, c)
			}
			queue = append(queue, c)
		}
	}
	return out
}

func childrenFile(pid, tid int) string {
	return "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/children"
}

// childrenOf lists the children of every thread of pid: a child belongs
// to the thread that forked it.
func childrenOf(pid int) []int {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil // gone meanwhile
	}
	var out []int
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(childrenFile(pid, tid))
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(data) {
			if c, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// DescendantsByScan is Descendants from one scan of /proc: slower, and
// it misses no process that lives through the scan.
func DescendantsByScan(root int) []int {
	children := map[int][]int{}
	live := map[int]bool{}
	eachProc(func(st procStat) {
		children[st.ppid] = append(children[st.ppid], st.pid)
		live[st.pid] = st.state != 'Z'
	})
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if live[c] {
				out = append(out, c)
			}
			queue = append(queue, c)
		}
	}
	return out
}

// procStat is what golive reads of /proc/PID/stat.
type procStat struct {
	pid, ppid, pgid int
	state           byte
	start           uint64 // clock ticks after boot
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
	if len(f) < 20 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	pgid, _ := strconv.Atoi(string(f[2]))
	start, _ := strconv.ParseUint(string(f[19]), 10, 64) // field 22 of proc_pid_stat(5)
	return procStat{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0], start: start}, true
}

// clockTicks is USER_HZ, the unit of a process's start time in /proc:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// Tick is the clock tick after boot now, the unit and clock a process's
// start time in /proc is counted in.
func Tick() uint64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) != nil {
		return 0
	}
	return uint64(ts.Sec)*clockTicks + uint64(ts.Nsec)/(1e9/clockTicks)
}

// GroupAndStart returns pid's process group and the tick it started at.
func GroupAndStart(pid int) (pgid int, start uint64, ok bool) {
	st, ok := readStat(pid)
	return st.pgid, st.start, ok
}
