//go:build unix

package runner_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/ready"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// handover runs the loop with real programs of mode, started directly
// (as off Linux), a builder that hands out the test binary, and a real
// run.ready check on addr. It returns the helper's pid file.
func handover(t *testing.T, mode, addr string, out *testkit.LineWaiter) (*loop, string) {
	t.Helper()
	check, err := ready.Parse("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "pid")
	l := startLoop(t, runner.Options{
		Builder: testBinary{},
		Starter: &supervise.Starter{Opts: supervise.Options{
			Direct: true, Dir: t.TempDir(), Stdout: out, Stderr: out,
			Env: append(os.Environ(), testkit.HelperEnv+"="+mode, "GOLIVE_PIDFILE="+pidfile,
				"GOLIVE_ADDR="+addr, "GOLIVE_ONCE="+filepath.Join(t.TempDir(), "once")),
			StopSignal: syscall.SIGTERM, StopTimeout: 5 * time.Second,
		}},
		Ready: check,
	})
	return l, pidfile
}

// testBinary builds at once, into the test binary itself.
type testBinary struct{}

func (testBinary) Build(context.Context, []string) runner.BuildResult {
	return runner.BuildResult{Binary: os.Args[0]}
}

// rebuild saves, and sees the test binary built again.
func (l *loop) rebuild(t *testing.T) {
	t.Helper()
	l.save("main.go")
	l.events.Next(t, events.Change)
	l.events.Next(t, events.BuildStart)
	l.events.Next(t, events.BuildOK)
}

// The old program's port is held a moment after the program is gone, by
// a grandchild outside its group that a direct stop does not reach (as
// on macOS): the new program starts only once the port is free, and
// binds it.
func TestHandoverWaitsForThePort(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	l, pidfile := handover(t, "handover", testkit.FreeAddr(t), out)
	l.events.Next(t, events.BuildStart)
	l.events.Next(t, events.BuildOK)
	l.events.Next(t, events.Start)
	out.Wait(t, "ready")
	l.events.Next(t, events.Ready)
	holder := testkit.ReadPid(t, pidfile)
	l.rebuild(t)
	l.events.Next(t, events.Stop)
	l.events.Next(t, events.Start) // no warning: the port came free in time
	// Whether the holder is gone by now says nothing: its exit closes the
	// socket before the process is a zombie, and the loop may start the
	// new program in between. That the new program binds the port does.
	testkit.Until(t, 5*time.Second, "the holder exits", func() bool { return !testkit.Running(holder) })
	syscall.Wait4(holder, nil, 0, nil) // re-parented to this test process
	for {
		line := out.Next(t)
		if strings.HasPrefix(line, "listen:") {
			t.Fatalf("the new program could not bind the port: %s", line)
		}
		if strings.HasPrefix(line, "ready") {
			l.events.Next(t, events.Ready)
			return
		}
	}
}

// A port that another process holds for good is waited for 2s, no
// longer, with a warning; then the program starts anyway.
func TestHandoverWaitIsBounded(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out := testkit.NewLineWaiter()
	l, _ := handover(t, "plain", ln.Addr().String(), out)
	l.events.Next(t, events.BuildStart)
	built := l.events.Next(t, events.BuildOK)
	warn := l.events.Next(t, events.Warn)
	if !strings.Contains(warn.Message, "still answers after the old program stopped; another process holds the port") {
		t.Fatalf("warning %q", warn.Message)
	}
	start := l.events.Next(t, events.Start)
	if waited := start.Time.Sub(built.Time); waited < 2*time.Second || waited > 4*time.Second {
		t.Fatalf("the program started %s after the build, want a wait of 2s", waited)
	}
	out.Wait(t, "ready")
}
