package side

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// shell is a spec that runs script with sh in dir, started directly (a
// test binary is no keeper).
func shell(name, dir, script string, policy runner.RestartPolicy) Spec {
	return Spec{Name: name, Argv: []string{"sh", "-c", script}, Restart: policy, Opts: supervise.Options{
		Dir: dir, Env: os.Environ(), StopSignal: syscall.SIGTERM, StopTimeout: 2 * time.Second, Direct: true,
	}}
}

// TestRestartsByPolicy: a process that fails under on-failure is started
// again after a back-off, which a line reports, every time.
func TestRestartsByPolicy(t *testing.T) {
	t.Parallel()
	ev := testkit.NewEvents()
	log := events.New(ev, events.Options{JSON: true})
	dir := t.TempDir()
	set := New(log, []Spec{shell("crash", dir, "echo x >> runs; exit 3", runner.RestartOnFailure)}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for range 3 {
		if e := ev.Next(t, events.Start); e.Service != "crash" {
			t.Fatalf("start event of %q", e.Service)
		}
		if e := ev.Next(t, events.Exit); e.Code == nil || *e.Code != 3 || e.Service != "crash" {
			t.Fatalf("exit event %+v, want code 3 of crash", e)
		}
		if e := ev.Next(t, events.Info); !strings.Contains(e.Message, "process crash: restarting in") {
			t.Fatalf("info %q", e.Message)
		}
	}
}

// TestRestartOnRequestAndStop: a restart request stops the process with
// its whole group and starts it again; the set's end stops it the same
// way.
func TestRestartOnRequestAndStop(t *testing.T) {
	t.Parallel()
	ev := testkit.NewEvents()
	log := events.New(ev, events.Options{JSON: true})
	dir := t.TempDir()
	// The process leaves a child in its group: a stop takes it along.
	script := "sleep 300 & echo $! > child.tmp; mv child.tmp child.pid; echo $$ > pid; wait" // whole when it appears
	set := New(log, []Spec{shell("svc", dir, script, runner.RestartNever)}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	first := ev.Next(t, events.Start).PID
	childFile := filepath.Join(dir, "child.pid")
	testkit.Until(t, 0, "the child's pid", func() bool { _, err := os.Stat(childFile); return err == nil })
	child := readPid(t, childFile)
	os.Remove(childFile)
	set.Restart("svc")
	if e := ev.Next(t, events.Stop); e.PID != first || e.Service != "svc" {
		t.Fatalf("stop %+v, want pid %d", e, first)
	}
	if second := ev.Next(t, events.Start).PID; second == first {
		t.Fatal("restarted with the same pid")
	}
	if testkit.Running(child) {
		t.Errorf("the first run's child %d outlived the restart", child)
	}
	testkit.Until(t, 0, "the child's pid", func() bool { _, err := os.Stat(childFile); return err == nil })
	child = readPid(t, childFile)
	cancel()
	<-done
	ev.Next(t, events.Stop)
	if testkit.Running(child) {
		t.Errorf("the child %d outlived golive's stop", child)
	}
}

// TestExitsWithoutRestart: under never, an exit is reported and nothing
// starts until a restart is asked for.
func TestExitsWithoutRestart(t *testing.T) {
	t.Parallel()
	ev := testkit.NewEvents()
	log := events.New(ev, events.Options{JSON: true})
	set := New(log, []Spec{shell("once", t.TempDir(), "exit 0", runner.RestartNever)}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	ev.Next(t, events.Start)
	if e := ev.Next(t, events.Exit); e.Code == nil || *e.Code != 0 {
		t.Fatalf("exit %+v", e)
	}
	select {
	case e := <-ev.C():
		t.Fatalf("after an exit under never: %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
	set.Restart("once")
	ev.Next(t, events.Start)
}

// TestStartFails: a command that is not there is one error line, and the
// set goes on.
func TestStartFails(t *testing.T) {
	t.Parallel()
	ev := testkit.NewEvents()
	log := events.New(ev, events.Options{JSON: true})
	sp := shell("gone", t.TempDir(), "", runner.RestartAlways)
	sp.Argv = []string{"no-such-command-golive"}
	set := New(log, []Spec{sp}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if e := ev.Next(t, events.Error); !strings.Contains(e.Message, `process gone: command "no-such-command-golive" not found on PATH`) {
		t.Fatalf("error %q", e.Message)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
