//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every process the benchmark starts gets its own process group and
// SIGKILL when the benchmark dies (Pdeathsig); the benchmark is also a
// child subreaper, so what a tool starts and then orphans (a server in
// its own group) stays its descendant and is found by sweep. Nothing of
// a run outlives it: each tool is stopped with its whole tree, and
// cleanup kills whatever descendant is left.

const prSetChildSubreaper = 36

func becomeSubreaper() error {
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// proc is one started process and its group.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// procs tracks every process started, for cleanup.
var procs struct {
	sync.Mutex
	all []*proc
}

// startProc starts cmd in its own process group, dying with us.
func startProc(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	procs.Lock()
	procs.all = append(procs.all, p)
	procs.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop signals the group with sig, waits up to grace, then SIGKILLs the
// group and every descendant the process had (found before the signal:
// a tool may have put its program in a group of its own).
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	tree := descendants(p.pid())
	if !p.exited() {
		syscall.Kill(-p.pid(), sig)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
	for _, d := range tree {
		killOrphan(d)
	}
	sweepOrphans()
}

// sweepOrphans kills the processes reparented to the benchmark (it is a
// subreaper) that it did not start, with their descendants, until none
// is left: what a killed tool leaves behind, such as builds it spawned
// in groups of their own that go on spawning compilers.
func sweepOrphans() {
	me := os.Getpid()
	for range 100 {
		var orphans []procInfo
		for _, d := range descendants(me) {
			if d.ppid == me && !isOurChild(d.pid) {
				orphans = append(orphans, d)
				orphans = append(orphans, descendants(d.pid)...)
			}
		}
		if len(orphans) == 0 {
			return
		}
		for _, o := range orphans {
			killOrphan(o)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// terminate sends SIGTERM to the group and waits for the process, as a
// careful tool does; the fixture's server exits on SIGTERM at once.
func (p *proc) terminate() {
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// killOrphan SIGKILLs a process found by descendants, if it is still the
// same process, and reaps it when it was reparented to us.
func killOrphan(d procInfo) {
	now, ok := readProcInfo(d.pid)
	if !ok || now.start != d.start {
		return
	}
	syscall.Kill(d.pid, syscall.SIGKILL)
	if now.ppid == os.Getpid() && !isOurChild(d.pid) {
		var ws syscall.WaitStatus
		for range 100 {
			if n, _ := syscall.Wait4(d.pid, &ws, syscall.WNOHANG, nil); n != 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// isOurChild reports whether pid is one that os/exec waits for.
func isOurChild(pid int) bool {
	procs.Lock()
	defer procs.Unlock()
	for _, p := range procs.all {
		if p.pid() == pid {
			return true
		}
	}
	return false
}

// cleanup stops everything the benchmark started.
func cleanup() {
	procs.Lock()
	all := append([]*proc(nil), procs.all...)
	procs.Unlock()
	for _, p := range all {
		if !p.exited() {
			p.stop(syscall.SIGTERM, 2*time.Second)
		}
	}
	for _, d := range descendants(os.Getpid()) {
		killOrphan(d)
	}
}

type procInfo struct {
	pid, ppid int
	start     uint64 // start time in clock ticks, to tell a reused pid
}

// readProcInfo parses /proc/PID/stat.
func readProcInfo(pid int) (procInfo, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procInfo{}, false
	}
	// The command name may hold spaces and parentheses: the fields
	// start after the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return procInfo{pid: pid, ppid: ppid, start: start}, true
}

// descendants lists every process below root.
func descendants(root int) []procInfo {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pi, ok := readProcInfo(pid); ok {
			children[pi.ppid] = append(children[pi.ppid], pi)
		}
	}
	var out []procInfo
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

// cpuTime returns utime+stime of pid (that process only, not its
// children), from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	// USER_HZ is 100 on every Linux the benchmark runs on.
	return time.Duration(ut+st) * (time.Second / 100), nil
}

// memStatus returns VmRSS and VmHWM of pid in bytes.
func memStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmRSS:", "VmHWM:"} {
			if strings.HasPrefix(line, k) {
				fs := strings.Fields(line[len(k):])
				kb, _ := strconv.ParseInt(fs[0], 10, 64)
				if k == "VmRSS:" {
					rss = kb * 1024
				} else {
					hwm = kb * 1024
				}
			}
		}
	}
	return rss, hwm, sc.Err()
}

// memSplit reads the parts of VmRSS: RssAnon (private memory) and
// RssFile (mapped file pages, shared with the page cache).
func memSplit(pid int) (anon, file int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, ":")
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(fs[0], 10, 64)
		switch k {
		case "RssAnon":
			anon = kb * 1024
		case "RssFile":
			file = kb * 1024
		}
	}
	return anon, file, nil
}

// env returns the environment for the tools and programs: ours, without
// GOFLAGS unless asked (a flag set there would change every build
// measured, and a user's machine has its own), with extra set.
func childEnv(keepGOFLAGS bool, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !keepGOFLAGS && strings.HasPrefix(kv, "GOFLAGS=") {
			continue
		}
		if strings.HasPrefix(kv, "PORT=") || strings.HasPrefix(kv, "BENCH_STARTLOG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// logFile opens path for a process's output.
func logFile(dir, name string) (io.WriteCloser, error) {
	return os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

// readStarts returns the "start" and "bindfail" lines of a start log.
func readStarts(path string) (starts []startLine) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		ns, _ := strconv.ParseInt(f[2], 10, 64)
		starts = append(starts, startLine{kind: f[0], pid: pid, at: time.Unix(0, ns)})
	}
	return starts
}

type startLine struct {
	kind string // start or bindfail
	pid  int
	at   time.Time
}
