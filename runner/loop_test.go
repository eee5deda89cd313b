package runner_test

// The loop with real parts: go build of a small module, and real
// programs, started by the supervisor. The loop's own tests, with fakes,
// are in runner_test.go.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// The test binary doubles as the programs these tests run, and as the
// keeper that starts them, as golive's own binary does.
func TestMain(m *testing.M) {
	if supervise.IsKeeper() {
		os.Exit(supervise.RunKeeper())
	}
	testkit.RunHelper()
	// Race-enabled binaries sleep a second at exit to catch late races;
	// the keepers and helper programs these tests start are such binaries.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	procgroup.BecomeSubreaper()
	os.Exit(m.Run())
}

// loop is a running loop and what its test sees of it.
type loop struct {
	events  *testkit.Events
	batches chan watcher.Batch
}

// startLoop runs the loop with opts (its log set here) until the test
// ends.
func startLoop(t *testing.T, opts runner.Options) *loop {
	t.Helper()
	l := &loop{events: testkit.NewEvents(), batches: make(chan watcher.Batch)}
	opts.Log = events.New(l.events, events.Options{JSON: true})
	opts.Package = "."
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		runner.New(opts).Run(ctx, l.batches)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		// A real starter may hold a keeper started ahead, as a session
		// closes it when its loop is done.
		if c, ok := opts.Starter.(interface{ Close() }); ok {
			c.Close()
		}
	})
	return l
}

func (l *loop) save(path string) {
	l.batches <- watcher.Batch{Changes: []watcher.Change{{Path: path}}, First: time.Now()}
}

// gatedBuilder runs real builds; from the second on, it returns only
// once the test opens the gate, so the test decides what happens while
// a build runs.
type gatedBuilder struct {
	b     runner.Builder
	gate  chan struct{}
	first chan struct{} // closed after the first build
}

func (g *gatedBuilder) Build(ctx context.Context, changed []string) runner.BuildResult {
	res := g.b.Build(ctx, changed)
	select {
	case <-g.first:
	default:
		close(g.first)
		return res
	}
	select {
	case <-g.gate:
		return res
	case <-ctx.Done():
		return runner.BuildResult{Err: ctx.Err()}
	}
}

// quitter is a program that prints its version and exits with code 3
// once the file $QUIT exists.
const quitter = `package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	fmt.Println("VERSION running")
	for {
		if _, err := os.Stat(os.Getenv("QUIT")); err == nil {
			os.Exit(3)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
`

func quitterSource(version string) string {
	return strings.Replace(quitter, "VERSION", version, 1)
}

// A real program that exits by itself while a real build runs is
// reported with its code, and the build's binary then starts, with no
// stop of the program that is gone.
func TestLoopProgramExitsDuringBuild(t *testing.T) {
	testkit.OwnCache(t)
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/fx\n\ngo 1.22\n", "main.go": quitterSource("v1")})
	work, err := builder.NewWorkDir(dir, "fx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { work.Remove() })
	quit := filepath.Join(t.TempDir(), "quit")
	out := testkit.NewLineWaiter()
	g := &gatedBuilder{
		b:    builder.New(builder.Options{Dir: dir, Package: ".", Env: os.Environ(), Work: work}),
		gate: make(chan struct{}), first: make(chan struct{}),
	}
	l := startLoop(t, runner.Options{
		Builder: g,
		Starter: &supervise.Starter{Opts: supervise.Options{
			Dir: dir, Env: append(os.Environ(), "QUIT="+quit), Stdout: out, Stderr: out,
			StopSignal: syscall.SIGTERM, StopTimeout: 5 * time.Second,
		}},
	})
	l.events.Next(t, events.BuildStart)
	l.events.Next(t, events.BuildOK)
	first := l.events.Next(t, events.Start)
	out.Wait(t, "v1 running")

	testkit.WriteFile(t, filepath.Join(dir, "main.go"), quitterSource("v2"))
	l.save("main.go")
	l.events.Next(t, events.Change)
	l.events.Next(t, events.BuildStart)
	testkit.WriteFile(t, quit, "")
	if ev := l.events.Next(t, events.Exit); ev.PID != first.PID || ev.Code == nil || *ev.Code != 3 {
		t.Fatalf("exit %+v, want pid %d with code 3", ev, first.PID)
	}
	if err := os.Remove(quit); err != nil { // or v2 would quit at once
		t.Fatal(err)
	}
	close(g.gate)
	l.events.Next(t, events.BuildOK)
	if ev := l.events.Next(t, events.Start); ev.PID == first.PID {
		t.Fatalf("start %+v: the old pid", ev)
	}
	out.Wait(t, "v2 running")
	if procgroup.Alive(first.PID) {
		t.Fatalf("the program that exited, pid %d, is alive", first.PID)
	}
}

// A go build that cannot run at all ends in build_failed with the cause,
// as a compile error does: editors wait for build_ok or build_failed
// after every build_start.
func TestRunnerBuildThatCannotRunFails(t *testing.T) {
	testkit.OwnCache(t)
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/fx\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n"})
	work, err := builder.NewWorkDir(dir, "fx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { work.Remove() })
	for _, tc := range []struct {
		name    string
		builder func(t *testing.T) runner.Builder
		cause   string
	}{
		{"no go command", func(t *testing.T) runner.Builder {
			t.Setenv("PATH", t.TempDir())
			return builder.New(builder.Options{Dir: dir, Package: ".", Env: os.Environ(), Work: work})
		}, `"go": executable file not found`},
		{"directory gone", func(t *testing.T) runner.Builder {
			return builder.New(builder.Options{Dir: filepath.Join(dir, "gone"), Package: ".", Env: os.Environ(), Work: work})
		}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLoop(t, runner.Options{Builder: tc.builder(t), Starter: &supervise.Starter{}})
			l.events.Next(t, events.BuildStart)
			if ev := l.events.Next(t, events.BuildFailed); !strings.Contains(ev.Output, tc.cause) {
				t.Fatalf("build_failed output %q, want the cause %q", ev.Output, tc.cause)
			}
		})
	}
}
