package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golive-dev/golive/log"
	"github.com/golive-dev/golive/watcher"
)

// fakeBuilder hands out builds that finish only when the test says so,
// or when they are cancelled.
type fakeBuilder struct {
	calls chan *fakeBuild
}

type fakeBuild struct {
	finish  chan BuildResult
	changed []string // what BuildChanged was given; nil: a full build
}

func (b *fakeBuilder) Build(ctx context.Context) BuildResult { return b.BuildChanged(ctx, nil) }

func (b *fakeBuilder) BuildChanged(ctx context.Context, changed []string) BuildResult {
	fb := &fakeBuild{finish: make(chan BuildResult, 1), changed: changed}
	select {
	case b.calls <- fb:
	case <-ctx.Done(): // a test that failed before taking the build
		return BuildResult{Err: ctx.Err()}
	}
	select {
	case res := <-fb.finish:
		return res
	case <-ctx.Done():
		return BuildResult{Err: ctx.Err()}
	}
}

// fakeStarter records which binaries were started. With addr set, each
// program listens there until it stops.
type fakeStarter struct {
	mu      sync.Mutex
	started []string
	progs   []*fakeProgram
	addr    string
}

func (s *fakeStarter) Start(bin string) (Program, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &fakeProgram{pid: 100 + len(s.progs), done: make(chan struct{}), code: -1}
	if s.addr != "" {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return nil, err
		}
		p.ln = ln
	}
	s.started = append(s.started, bin)
	s.progs = append(s.progs, p)
	return p, nil
}

func (s *fakeStarter) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.started...)
}

type fakeProgram struct {
	ln      net.Listener
	pid     int
	done    chan struct{}
	once    sync.Once
	code    int
	stopped bool
}

func (p *fakeProgram) PID() int              { return p.pid }
func (p *fakeProgram) Done() <-chan struct{} { return p.done }
func (p *fakeProgram) Exit() (int, string)   { return p.code, "" }
func (p *fakeProgram) exit(code int) {
	p.once.Do(func() {
		p.code = code
		if p.ln != nil {
			p.ln.Close()
		}
		close(p.done)
	})
}
func (p *fakeProgram) Stop(<-chan struct{}) StopResult {
	p.stopped = true
	p.exit(0)
	return StopResult{}
}

// events is a JSON logger's output, read back one event at a time.
type events struct {
	ch chan log.Event
}

func (e *events) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		var ev log.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			return 0, err
		}
		e.ch <- ev
	}
	return len(p), nil
}

// next returns the next event of type typ, failing on any other type
// except those listed in skip.
func (e *events) next(t *testing.T, typ string) log.Event {
	t.Helper()
	select {
	case ev := <-e.ch:
		if ev.Type != typ {
			t.Fatalf("event %q (%+v), want %q", ev.Type, ev, typ)
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no %q event within 10s", typ)
	}
	return log.Event{}
}

type harness struct {
	builder *fakeBuilder
	starter *fakeStarter
	events  *events
	batches chan watcher.Batch
	cancel  context.CancelFunc
	done    chan struct{}
}

func startRunner(t *testing.T) *harness {
	return startRunnerWith(t, func(*Options) {})
}

func startRunnerWith(t *testing.T, configure func(*Options)) *harness {
	h := &harness{
		builder: &fakeBuilder{calls: make(chan *fakeBuild)},
		starter: &fakeStarter{},
		events:  &events{ch: make(chan log.Event, 100)},
		batches: make(chan watcher.Batch),
		done:    make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	opts := Options{Builder: h.builder, Starter: h.starter, Log: log.New(h.events, log.Options{JSON: true}), Package: "."}
	configure(&opts)
	if opts.Ready != nil {
		h.starter.addr = opts.Ready.addr
	}
	r := New(opts)
	go func() {
		r.Run(ctx, h.batches)
		close(h.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

func (h *harness) build(t *testing.T) *fakeBuild {
	t.Helper()
	select {
	case b := <-h.builder.calls:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no build started within 10s")
	}
	return nil
}

// buildAndStart takes the build in flight to success with bin and
// expects the program to start.
func (h *harness) buildAndStart(t *testing.T, bin string) {
	t.Helper()
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: bin}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Start)
}

// reloadOnce saves a file of the plugin tree and sees it reloaded in
// process.
func (h *harness) reloadOnce(t *testing.T, rl *fakeReloader) {
	t.Helper()
	rl.results <- ReloadResult{Package: "p"}
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Reload)
}

func (h *harness) save(paths ...string) {
	var b watcher.Batch
	for _, p := range paths {
		b.Changes = append(b.Changes, watcher.Change{Path: p})
	}
	b.First = time.Now()
	h.batches <- b
}

func TestRunnerBuildsAndStarts(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin1"}
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Start); ev.PID != 100 {
		t.Fatalf("start pid = %d", ev.PID)
	}
	h.save("main.go", "a/a.go")
	if ev := h.events.next(t, log.Change); ev.Count != 2 || ev.Paths[0] != "main.go" {
		t.Fatalf("change = %+v", ev)
	}
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Stop); ev.PID != 100 {
		t.Fatalf("stopped pid %d, want the old program", ev.PID)
	}
	h.events.next(t, log.Start)
	h.cancel()
	<-h.done
	if got := h.starter.snapshot(); fmt.Sprint(got) != "[bin1 bin2]" {
		t.Fatalf("started %v", got)
	}
	if !h.starter.progs[1].stopped {
		t.Fatal("the program was not stopped on shutdown")
	}
}

// An edit during a build cancels it; the stale build's binary never runs.
func TestRunnerCancelsStaleBuild(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.events.next(t, log.BuildStart)
	first := h.build(t)
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	second := h.build(t)
	first.finish <- BuildResult{Binary: "stale"} // too late: it was cancelled
	second.finish <- BuildResult{Binary: "fresh"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Start)
	if got := h.starter.snapshot(); fmt.Sprint(got) != "[fresh]" {
		t.Fatalf("started %v, want only the fresh build", got)
	}
}

// A failed build leaves the old program running.
func TestRunnerKeepsOldProgramOnCompileError(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.buildAndStart(t, "bin1")
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Failed: true, Diagnostics: []log.Diagnostic{{File: "main.go", Line: 1, Column: 2, Message: "boom"}}}
	if ev := h.events.next(t, log.BuildFailed); len(ev.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %+v", ev.Diagnostics)
	}
	if h.starter.progs[0].stopped {
		t.Fatal("old program stopped after a failed build")
	}
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)
}

// A program that exits by itself is reported and not restarted until the
// next change.
func TestRunnerReportsExitAndWaits(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.buildAndStart(t, "bin1")
	h.starter.progs[0].exit(3)
	if ev := h.events.next(t, log.Exit); ev.Code == nil || *ev.Code != 3 {
		t.Fatalf("exit event = %+v, want code 3", ev)
	}
	select {
	case <-h.builder.calls:
		t.Fatal("a crash started a build")
	case ev := <-h.events.ch:
		t.Fatalf("unexpected event after exit: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Start) // no stop: nothing was running
}

// A program that crashes is started again with a back-off that doubles,
// until it exits cleanly (on-failure).
func TestRunnerRestartPolicyBacksOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := startRunnerWith(t, func(o *Options) { o.Restart = RestartOnFailure })
		h.buildAndStart(t, "bin")
		var waits []time.Duration
		for i := range 4 {
			h.starter.progs[i].exit(3)
			h.events.next(t, log.Exit)
			if ev := h.events.next(t, log.Info); !strings.Contains(ev.Message, "after exit code 3") {
				t.Fatalf("info = %q", ev.Message)
			}
			before := time.Now()
			h.events.next(t, log.Start)
			waits = append(waits, time.Since(before))
		}
		if fmt.Sprint(waits) != "[100ms 200ms 400ms 800ms]" {
			t.Fatalf("back-off waits %v", waits)
		}
		h.starter.progs[4].exit(0)
		h.events.next(t, log.Exit)
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case ev := <-h.events.ch:
			t.Fatalf("a clean exit under on-failure gave %+v", ev)
		default:
		}
	})
}

// A change to the env file alone restarts without a build.
func TestRunnerRestartOnlyChange(t *testing.T) {
	t.Parallel()
	h := startRunnerWith(t, func(o *Options) { o.RestartOnly = func(p string) bool { return p == ".env" } })
	h.buildAndStart(t, "bin")
	h.save(".env")
	h.events.next(t, log.Change)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)
	h.save(".env", "main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t)
}

// A program that exits while a build runs is reported; the build's
// binary then starts.
func TestRunnerProgramExitsDuringBuild(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.buildAndStart(t, "bin1")
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	b := h.build(t)
	h.starter.progs[0].exit(1)
	h.events.next(t, log.Exit)
	b.finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Start); ev.PID != 101 {
		t.Fatalf("start = %+v", ev)
	}
}

// With run.ready, the loop reports the program ready, with the time
// since the save.
func TestRunnerReportsReady(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ready, err := ParseReadiness("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	h := startRunnerWith(t, func(o *Options) { o.Ready = ready })
	h.buildAndStart(t, "bin1")
	if ev := h.events.next(t, log.Ready); ev.PID != 100 || ev.Millis == nil || *ev.Millis <= 0 {
		t.Fatalf("ready = %+v", ev)
	}
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start) // the old program freed the port first
	h.events.next(t, log.Ready)
}

// fakeReloader covers paths under "plug/" and returns the queued results.
type fakeReloader struct {
	results chan ReloadResult
}

func (f *fakeReloader) Covers(changed []string) bool {
	for _, c := range changed {
		if !strings.HasPrefix(c, "plug/") {
			return false
		}
	}
	return len(changed) > 0
}

func (f *fakeReloader) Reload(ctx context.Context, changed []string, pid int) ReloadResult {
	select {
	case r := <-f.results:
		return r
	case <-ctx.Done():
		return ReloadResult{Build: BuildResult{Err: ctx.Err()}}
	}
}

// Plugin-only batches reload in process until max_reloads; a failed load
// falls back to a build and restart; after a reload, a crash rebuilds
// rather than restarting the binary that lacks the reloaded code.
func TestRunnerReloads(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) {
		o.Reloader, o.MaxReloads, o.Restart = rl, 2, RestartAlways
	})
	h.buildAndStart(t, "bin1")

	rl.results <- ReloadResult{Package: "p"}
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Reload); ev.PID != 100 || ev.Package != "p" {
		t.Fatalf("reload = %+v", ev)
	}

	rl.results <- ReloadResult{Package: "p", Err: fmt.Errorf("wrong type")}
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Warn); !strings.Contains(ev.Message, "wrong type; rebuilding and restarting instead") {
		t.Fatalf("warn = %q", ev.Message)
	}
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)

	for range 2 {
		h.reloadOnce(t, rl)
	}
	h.save("plug/a.go") // the third in a row: max_reloads is 2
	h.events.next(t, log.Change)
	if ev := h.events.next(t, log.Info); !strings.Contains(ev.Message, "max_reloads") {
		t.Fatalf("info = %q", ev.Message)
	}
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin3"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)

	h.reloadOnce(t, rl)
	h.starter.progs[2].exit(2) // a crash after a reload
	h.events.next(t, log.Exit)
	h.events.next(t, log.Info)
	h.events.next(t, log.BuildStart) // a build, not a restart of bin3
	h.build(t).finish <- BuildResult{Binary: "bin4"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Start)
}

// A plugin-only save that cancels a program build must not shrink it to
// a reload: the cancelled build's edit still has to be applied.
func TestRunnerCancelledBuildIsNotCutToReload(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) { o.Reloader, o.MaxReloads = rl, 10 })
	h.buildAndStart(t, "bin1")
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t) // left running
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	if ev := h.events.next(t, log.BuildStart); ev.Package != "." {
		t.Fatalf("build_start %+v: want a program build, not a reload", ev)
	}
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)
}

// A go build that cannot run at all ends in build_failed with the cause,
// as a compile error does: editors wait for build_ok or build_failed
// after every build_start.
func TestRunnerBuildThatCannotRunFails(t *testing.T) {
	dir := fixture(t, "package main\n\nfunc main() {}\n")
	b, work := newTestBuilder(t, dir)
	for _, tc := range []struct {
		name    string
		builder func(t *testing.T) Builder
		cause   string
	}{
		{"no go command", func(t *testing.T) Builder {
			t.Setenv("PATH", t.TempDir())
			return b
		}, `"go": executable file not found`},
		{"directory gone", func(t *testing.T) Builder {
			return NewGoBuilder(BuildOptions{Dir: filepath.Join(dir, "gone"), Package: ".", Env: os.Environ(), Work: work})
		}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			builder := tc.builder(t)
			h := startRunnerWith(t, func(o *Options) { o.Builder = builder })
			h.events.next(t, log.BuildStart)
			if ev := h.events.next(t, log.BuildFailed); !strings.Contains(ev.Output, tc.cause) {
				t.Fatalf("build_failed output %q, want the cause %q", ev.Output, tc.cause)
			}
		})
	}
}

// A plugin build that cannot run ends in build_failed too, and golive
// rebuilds and restarts instead.
func TestRunnerReloadThatCannotBuildFails(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 1)}
	h := startRunnerWith(t, func(o *Options) { o.Reloader, o.MaxReloads = rl, 10 })
	h.buildAndStart(t, "bin1")
	rl.results <- ReloadResult{Build: BuildResult{Err: errors.New("run go build: boom")}}
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	if ev := h.events.next(t, log.BuildFailed); ev.Output != "run go build: boom" {
		t.Fatalf("build_failed output %q", ev.Output)
	}
	h.events.next(t, log.Warn)
	if ev := h.events.next(t, log.BuildStart); ev.Package != "." {
		t.Fatalf("build_start %+v, want the program's build", ev)
	}
	h.build(t)
}

// TestRunnerFullBuildAfterReload: a build is told the changed paths, so it
// can replay, except after an in-process reload, loaded or not, whose
// edits the binary lacks and no later batch names.
func TestRunnerFullBuildAfterReload(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) { o.Reloader, o.MaxReloads = rl, 5 })
	h.buildAndStart(t, "bin1")

	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	fb := h.build(t)
	if strings.Join(fb.changed, ",") != "main.go" {
		t.Fatalf("build after a save got changed = %q, want [main.go]", fb.changed)
	}
	fb.finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)

	h.reloadOnce(t, rl)

	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	fb = h.build(t)
	if fb.changed != nil {
		t.Fatalf("build after a reload got changed = %q, want a full build", fb.changed)
	}
	fb.finish <- BuildResult{Binary: "bin3"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)

	// A reload whose plugin does not compile leaves the plugin's edit out
	// of the binary too: the next build is a full one.
	rl.results <- ReloadResult{Package: "p", Build: BuildResult{Failed: true}}
	h.save("plug/a.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.events.next(t, log.BuildFailed)
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	if fb := h.build(t); fb.changed != nil {
		t.Fatalf("build after a failed reload got changed = %q, want a full build", fb.changed)
	}
}

// TestRunnerBuiltGetsTheBuildsStart: Built is called after each good
// build, not after a failed one, with the paths that caused it and the
// time it started: after the save that caused it, before the builder ran.
func TestRunnerBuiltGetsTheBuildsStart(t *testing.T) {
	t.Parallel()
	type call struct {
		changed []string
		started time.Time
	}
	calls := make(chan call, 10)
	before := time.Now()
	h := startRunnerWith(t, func(o *Options) {
		o.Built = func(changed []string, started time.Time) { calls <- call{changed, started} }
	})
	h.events.next(t, log.BuildStart)
	b := h.build(t)
	taken := time.Now()
	b.finish <- BuildResult{Binary: "bin1"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Start)
	if c := <-calls; c.changed != nil || c.started.Before(before) || c.started.After(taken) {
		t.Fatalf("first build: Built(%v, %v), want nil paths and a start between %v and %v", c.changed, c.started, before, taken)
	}

	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Failed: true}
	h.events.next(t, log.BuildFailed)

	saved := time.Now()
	h.save("lib/lib.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	b = h.build(t)
	taken = time.Now()
	b.finish <- BuildResult{Binary: "bin2"}
	h.events.next(t, log.BuildOK)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start)
	c := <-calls
	if fmt.Sprint(c.changed) != "[lib/lib.go]" || c.started.Before(saved) || c.started.After(taken) {
		t.Fatalf("after a failed build and a save: Built(%v, %v), want [lib/lib.go] and a start between %v and %v", c.changed, c.started, saved, taken)
	}
	select {
	case c := <-calls:
		t.Fatalf("Built called for the failed build too: %+v", c)
	default:
	}
}
