package procgroup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

// groupTree, fed a real process table, finds a grandchild that called
// setsid as an escaper of the program's tree (Linux stands in for the
// macOS table here).
func TestGroupTreeFindsRealEscaper(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	pidfile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), testkit.HelperEnv+"=spawn-setsid", "GOLIVE_ADDR=127.0.0.1:0", "GOLIVE_PIDFILE="+pidfile)
	cmd.Stdout = out
	g, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	gc := 0
	defer func() {
		if gc != 0 {
			syscallKill(gc) // first: it holds the output pipe that Wait drains
		}
		g.Kill()
		cmd.Wait()
		g.Release()
	}()
	out.Wait(t, "ready")
	out.Wait(t, "ready") // the grandchild's
	gc = testkit.ReadPid(t, pidfile)
	var procs []procInfo
	eachProc(func(st procStat) {
		procs = append(procs, procInfo{pid: st.pid, ppid: st.ppid, pgid: st.pgid, zombie: st.state == 'Z'})
	})
	members, outside := groupTree(procs, g.Pid())
	has := func(ps []procInfo, pid int) bool {
		return slices.ContainsFunc(ps, func(p procInfo) bool { return p.pid == pid })
	}
	if !has(members, g.Pid()) || has(members, gc) {
		t.Errorf("members %v: want the program %d, not the escaper %d", members, g.Pid(), gc)
	}
	if !has(outside, gc) || len(outside) != 1 {
		t.Errorf("outside %v, want only the escaper %d", outside, gc)
	}
	if !slices.Contains(Descendants(os.Getpid()), gc) {
		t.Errorf("Descendants of the test misses the escaper %d, which the test (a subreaper) inherits", gc)
	}
}

// TestDescendantsFromChildrenLists: the kernel's children lists give
// what a scan of /proc gives: a live child and its child are listed, a
// zombie child is not.
func TestDescendantsFromChildrenLists(t *testing.T) {
	if _, err := os.Stat(childrenFile(os.Getpid(), os.Getpid())); err != nil {
		t.Skipf("no children lists in this kernel (%v): Descendants scans /proc", err)
	}
	live := exec.Command("sh", "-c", "sleep 300 & echo $!; wait")
	out, err := live.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		live.Process.Kill()
		live.Wait()
	}()
	var grandchild int
	if _, err := fmt.Fscan(out, &grandchild); err != nil {
		t.Fatal(err)
	}
	defer syscallKill(grandchild)
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	testkit.Until(t, 0, "true to exit", func() bool {
		st, ok := readStat(zombie.Process.Pid)
		return ok && st.state == 'Z'
	})
	for name, got := range map[string][]int{"children lists": Descendants(os.Getpid()), "scan": DescendantsByScan(os.Getpid())} {
		if !slices.Contains(got, live.Process.Pid) || !slices.Contains(got, grandchild) {
			t.Errorf("%s: %v misses sh %d or its sleep %d", name, got, live.Process.Pid, grandchild)
		}
		if slices.Contains(got, zombie.Process.Pid) {
			t.Errorf("%s: %v lists the zombie %d", name, got, zombie.Process.Pid)
		}
	}
}

// Tick counts in the clock and unit of /proc's start times: a child
// started between two reads of it started at a tick between them, and
// this process before both.
func TestTickIsTheStartTimesClock(t *testing.T) {
	t.Parallel()
	before := Tick()
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	after := Tick()
	pgid, start, ok := GroupAndStart(cmd.Process.Pid)
	if !ok || pgid != syscall.Getpgrp() {
		t.Fatalf("GroupAndStart(child) = %d, %d, %v; want this group", pgid, start, ok)
	}
	if start < before || start > after {
		t.Errorf("the child started at tick %d, not within %d–%d, read around its start", start, before, after)
	}
	if _, self, ok := GroupAndStart(os.Getpid()); !ok || self > before {
		t.Errorf("this process started at tick %d (%v), after the tick %d read since", self, ok, before)
	}
}
