package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/watcher"
)

// The test binary is also the keeper that starts the session's programs
// on Linux, as golive's own binary is.
func TestMain(m *testing.M) {
	if supervise.IsKeeper() {
		os.Exit(supervise.RunKeeper())
	}
	// Race-enabled binaries sleep a second at exit to catch late races;
	// the keepers these tests start are such binaries.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// versioned is a program that prints its version, then waits to be
// stopped.
func versioned(v string) string {
	return "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"" + v + " running\")\n\ttime.Sleep(time.Hour)\n}\n"
}

// running is a session on dir, run until the test ends, and what the
// test sees of it: its events, the program's output, and Run's result.
type running struct {
	events *testkit.Events
	out    *testkit.LineWaiter
	cancel context.CancelFunc
	done   chan error
}

func runSession(t *testing.T, dir string, cfg config.Config) *running {
	t.Helper()
	r := &running{events: testkit.NewEvents().Skip(events.Watching), out: testkit.NewLineWaiter(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	s := New(Options{
		Config: cfg, Dir: dir, Log: events.New(r.events, events.Options{JSON: true}),
		Stdin: strings.NewReader(""), Stdout: r.out, Stderr: r.out,
	})
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop ends the session as Ctrl-C does and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(testkit.Timeout):
		t.Fatal("Run did not return after its context ended")
		return nil
	}
}

// A session builds and starts the program, rebuilds and restarts it on a
// save, and on the end of its context stops it and returns nil with
// nothing of it left: the whole loop, driven as cmd/golive drives it.
func TestSessionBuildsRunsAndRestarts(t *testing.T) {
	testkit.OwnCache(t)
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.22\n", "main.go": versioned("v1")})
	cfg := config.Default()
	cfg.Build.Package = "."
	r := runSession(t, dir, cfg)
	r.events.Next(t, events.BuildStart)
	r.events.Next(t, events.BuildOK)
	first := r.events.Next(t, events.Start)
	r.out.Wait(t, "v1 running")

	testkit.WriteFile(t, filepath.Join(dir, "main.go"), versioned("v2"))
	if ev := r.events.Next(t, events.Change); len(ev.Paths) != 1 || ev.Paths[0] != "main.go" {
		t.Fatalf("change %+v, want main.go", ev)
	}
	r.events.Next(t, events.BuildStart)
	r.events.Next(t, events.BuildOK)
	if ev := r.events.Next(t, events.Stop); ev.PID != first.PID {
		t.Fatalf("stopped pid %d, want the first program's %d", ev.PID, first.PID)
	}
	second := r.events.Next(t, events.Start)
	r.out.Wait(t, "v2 running")

	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v after a stop, want nil", err)
	}
	if testkit.Running(second.PID) {
		t.Fatalf("the program, pid %d, outlived the session", second.PID)
	}
}

// A session that cannot start returns its error at once, as it is (for
// cmd/golive to print), and leaves no work directory behind.
func TestSessionStartError(t *testing.T) {
	testkit.OwnCache(t)
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.22\n", "main.go": versioned("v1")})
	cfg := config.Default()
	cfg.Build.Package = "."
	cfg.Run.StopSignal = "SIGWINCH" // the config's validation would have refused it
	r := runSession(t, dir, cfg)
	select {
	case err := <-r.done:
		r.done <- err
		if err == nil || errors.Is(err, ErrReported) || !strings.Contains(err.Error(), `run.stop_signal: unknown signal "SIGWINCH"`) {
			t.Fatalf("Run = %v, want the stop signal's error, not yet reported", err)
		}
	case <-time.After(testkit.Timeout):
		t.Fatal("Run did not return")
	}
	// builder.NewWorkDir names it after the project and golive's pid.
	left, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "golive", filepath.Base(dir)+"-*-"+strconv.Itoa(os.Getpid())))
	if len(left) != 0 {
		t.Errorf("work directories left: %v", left)
	}
}

// TestDebugBuildArgs: --debug builds with -N -l and without -w; a
// -gcflags of the user's own is kept as the only one.
func TestDebugBuildArgs(t *testing.T) {
	cfg := config.Default()
	cfg.Run.Debug = true
	args := strings.Join(builder.Args(BuildOptions(cfg, t.TempDir(), nil), "out"), " ")
	if !strings.Contains(args, "-gcflags=all=-N -l") || strings.Contains(args, "-w") {
		t.Errorf("--debug build: %s; want -gcflags=all=-N -l and no -w", args)
	}
	cfg.Build.Flags = []string{"-gcflags=main=-N"}
	args = strings.Join(builder.Args(BuildOptions(cfg, t.TempDir(), nil), "out"), " ")
	if strings.Count(args, "-gcflags") != 1 || !strings.Contains(args, "-gcflags=main=-N") {
		t.Errorf("--debug build with the user's -gcflags: %s; want only theirs", args)
	}
}

// TestWatchOptions: every watch.* key but mode (the session's own
// wiring) reaches the watcher's options.
func TestWatchOptions(t *testing.T) {
	w := config.Watch{
		Include: []string{"*.html"}, Exclude: []string{"gen/**"}, Debounce: config.Duration(time.Second),
		Mode: "graph", Poll: true, Interval: config.Duration(2 * time.Second), AllowRoot: true, GitIgnore: true,
	}
	got := WatchOptions(w, "/src/app")
	want := watcher.Options{
		Root: "/src/app", Include: []string{"*.html"}, Exclude: []string{"gen/**"}, Debounce: time.Second,
		Poll: true, PollInterval: 2 * time.Second, AllowRoot: true, GitIgnore: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WatchOptions = %+v, want %+v", got, want)
	}
	if n := reflect.TypeOf(w).NumField(); n != 8 {
		t.Errorf("config.Watch has %d keys: map the new one in WatchOptions and here", n)
	}
}
