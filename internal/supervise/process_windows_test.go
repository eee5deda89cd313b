//go:build windows

package supervise

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/testkit"
)

// waitDead waits until pid has ended.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	testkit.Until(t, 0, fmt.Sprintf("process %d ended", pid), func() bool { return !procgroup.Alive(pid) })
}

// CTRL_BREAK_EVENT arrives in a Go program as os.Interrupt, which the
// "serve" helper exits on.
func TestWindowsStopByCtrlBreak(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	p, err := startDirect(os.Args[0], helperOptions(t, "serve", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	out.Wait(t, "ready")
	if err := p.group.Signal(os.Interrupt); err != nil {
		t.Skipf("no console to send CTRL_BREAK_EVENT through: %v", err)
	}
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the program did not exit on CTRL_BREAK_EVENT")
	}
	if code, sig := p.Exit(); code != 0 || sig != "" {
		t.Fatalf("exit = %d %q, want 0", code, sig)
	}
}

func TestWindowsStopStubbornIsKilled(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "stubborn", out, false)
	opts.StopTimeout = 300 * time.Millisecond
	p, err := startDirect(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	if res := p.Stop(nil); !res.Killed {
		t.Fatalf("stop = %+v, want killed after the timeout", res)
	}
	if code, sig := p.Exit(); code != 1 || sig != "" {
		t.Fatalf("exit = %d %q, want 1 from TerminateJobObject", code, sig)
	}
}

// The grandchild holds the port and ignores CTRL_BREAK_EVENT; the job
// takes it down with the program, so every round can bind the port again.
func TestWindowsStopKillsGrandchildAndFreesPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for i := range 3 {
		out := testkit.NewLineWaiter()
		opts := helperOptions(t, "spawn", out, false)
		opts.StopTimeout = 200 * time.Millisecond
		opts.Env = append(opts.Env, "GOLIVE_ADDR="+addr)
		p, err := startDirect(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		out.Wait(t, "ready")
		out.Wait(t, "ready") // the grandchild's
		p.Stop(nil)
		if code, _ := p.Exit(); code == 4 {
			t.Fatalf("round %d: the program could not bind %s", i, addr)
		}
		if gc := testkit.ReadPid(t, pidfileOf(opts)); procgroup.Alive(gc) {
			t.Fatalf("round %d: grandchild %d still alive after Stop", i, gc)
		}
	}
}

// Closing the job, as Windows does when golive dies, ends the whole tree.
func TestWindowsReleaseKillsTree(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "spawn", out, false)
	opts.Env = append(opts.Env, "GOLIVE_ADDR=127.0.0.1:0")
	p, err := startDirect(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	out.Wait(t, "ready")
	if p.group.Gone() {
		t.Fatal("Gone with the program and its child running")
	}
	gc := testkit.ReadPid(t, pidfileOf(opts))
	p.group.Release()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the program survived the closing of its job")
	}
	waitDead(t, gc)
}

func TestWindowsProcessAlive(t *testing.T) {
	t.Parallel()
	if !procgroup.Alive(os.Getpid()) {
		t.Error("procgroup.Alive(self) = false")
	}
	if procgroup.Alive(0) || procgroup.Alive(-1) {
		t.Error("processAlive of pid 0 or -1 = true")
	}
	out := testkit.NewLineWaiter()
	p, err := startDirect(os.Args[0], helperOptions(t, "exit3", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.group.Release()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("program did not exit")
	}
	// The job still holds a handle to the process, so its pid is not
	// reused yet.
	if procgroup.Alive(p.PID()) {
		t.Errorf("procgroup.Alive(%d) = true after it exited", p.PID())
	}
	if !p.group.WaitGone(testkit.Timeout) {
		t.Error("Gone = false after the program exited")
	}
	if code, _ := p.Exit(); code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
}
