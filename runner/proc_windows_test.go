//go:build windows

package runner

import (
	"net"
	"os"
	"testing"
	"time"
)

// waitDead polls until pid has ended or 20s pass.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// CTRL_BREAK_EVENT arrives in a Go program as os.Interrupt, which the
// "serve" helper exits on.
func TestWindowsStopByCtrlBreak(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	p, err := startDirect(os.Args[0], helperOptions(t, "serve", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	out.wait(t, "ready")
	if err := signalGroup(p.cmd.Process, os.Interrupt); err != nil {
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
	out := newLineWaiter()
	opts := helperOptions(t, "stubborn", out, false)
	opts.StopTimeout = 300 * time.Millisecond
	p, err := startDirect(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.wait(t, "ready")
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
		out := newLineWaiter()
		opts := helperOptions(t, "spawn", out, false)
		opts.StopTimeout = 200 * time.Millisecond
		opts.Env = append(opts.Env, "GOLIVE_ADDR="+addr)
		p, err := startDirect(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		out.wait(t, "ready")
		out.wait(t, "ready") // the grandchild's
		p.Stop(nil)
		if code, _ := p.Exit(); code == 4 {
			t.Fatalf("round %d: the program could not bind %s", i, addr)
		}
		if gc := readPid(t, pidfileOf(opts)); processAlive(gc) {
			t.Fatalf("round %d: grandchild %d still alive after Stop", i, gc)
		}
	}
}

// Closing the job, as Windows does when golive dies, ends the whole tree.
func TestWindowsReleaseKillsTree(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	opts := helperOptions(t, "spawn", out, false)
	opts.Env = append(opts.Env, "GOLIVE_ADDR=127.0.0.1:0")
	p, err := startDirect(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.wait(t, "ready")
	out.wait(t, "ready")
	if groupGone(p.cmd.Process) {
		t.Fatal("groupGone with the program and its child running")
	}
	gc := readPid(t, pidfileOf(opts))
	p.release()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the program survived the closing of its job")
	}
	waitDead(t, gc)
}

func TestWindowsProcessAlive(t *testing.T) {
	t.Parallel()
	if !processAlive(os.Getpid()) {
		t.Error("processAlive(self) = false")
	}
	if processAlive(0) || processAlive(-1) {
		t.Error("processAlive of pid 0 or -1 = true")
	}
	out := newLineWaiter()
	p, err := startDirect(os.Args[0], helperOptions(t, "exit3", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.release()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("program did not exit")
	}
	// The job still holds a handle to the process, so its pid is not
	// reused yet.
	if processAlive(p.PID()) {
		t.Errorf("processAlive(%d) = true after it exited", p.PID())
	}
	if !waitGroupGone(p.cmd.Process, 20*time.Second) {
		t.Error("groupGone = false after the program exited")
	}
	if code, _ := p.Exit(); code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
}

func TestWindowsSignalNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"TERM", "int", "SIGHUP", "QUIT", "KILL"} {
		if _, err := ParseSignal(name); err != nil {
			t.Errorf("ParseSignal(%q): %v", name, err)
		}
	}
	for _, name := range []string{"USR1", "SIGUSR2"} {
		if _, err := ParseSignal(name); err == nil {
			t.Errorf("ParseSignal(%q) succeeded; Windows has no such signal", name)
		}
	}
}
