package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/watcher"
)

// fakeBuilder hands out builds that finish only when the test says so,
// or when they are cancelled.
type fakeBuilder struct {
	calls chan *fakeBuild
}

type fakeBuild struct {
	finish  chan BuildResult
	changed []string // what Build was given; nil: a full build
}

func (b *fakeBuilder) Build(ctx context.Context, changed []string) BuildResult {
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

// fakeStarter records which binaries were started.
type fakeStarter struct {
	mu       sync.Mutex
	started  []string
	progs    []*fakeProgram
	prepared chan struct{} // one per Prepare, when set
}

func (s *fakeStarter) Check() error { return nil }

func (s *fakeStarter) Prepare() {
	if s.prepared != nil {
		s.prepared <- struct{}{}
	}
}

func (s *fakeStarter) Start(bin string) (Program, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &fakeProgram{pid: 100 + len(s.progs), done: make(chan struct{}), code: -1}
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
		close(p.done)
	})
}
func (p *fakeProgram) Stop(<-chan struct{}) StopResult {
	p.stopped = true
	p.exit(0)
	return StopResult{}
}

// fakeReady passes a program's check when the test sends on pass, gives
// up with the error sent on fail, and counts the waits for a free port.
type fakeReady struct {
	pass  chan struct{}
	fail  chan error
	mu    sync.Mutex
	frees int
}

func newFakeReady() *fakeReady {
	return &fakeReady{pass: make(chan struct{}, 1), fail: make(chan error, 1)}
}

func (r *fakeReady) Wait(ctx context.Context) error {
	select {
	case <-r.pass:
		return nil
	case err := <-r.fail:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *fakeReady) WaitPortFree(time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frees++
	return true
}

func (r *fakeReady) String() string { return "127.0.0.1:1" }

type harness struct {
	builder *fakeBuilder
	starter *fakeStarter
	events  *testkit.Events
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
		events:  testkit.NewEvents(),
		batches: make(chan watcher.Batch),
		done:    make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	opts := Options{Builder: h.builder, Starter: h.starter, Log: events.New(h.events, events.Options{JSON: true}), Package: "."}
	configure(&opts)
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
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: bin}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Start)
}

// restartAfter takes build fb to res, a success, and expects the old
// program stopped and the new one started.
func (h *harness) restartAfter(t *testing.T, fb *fakeBuild, res BuildResult) {
	t.Helper()
	fb.finish <- res
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Stop)
	h.events.Next(t, events.Start)
}

// reloadOnce saves a file of the plugin tree and sees it reloaded in
// process.
func (h *harness) reloadOnce(t *testing.T, rl *fakeReloader) {
	t.Helper()
	rl.results <- ReloadResult{Package: "p"}
	h.save("plug/a.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Reload)
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
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin1"}
	h.events.Next(t, events.BuildOK)
	if ev := h.events.Next(t, events.Start); ev.PID != 100 {
		t.Fatalf("start pid = %d", ev.PID)
	}
	h.save("main.go", "a/a.go")
	if ev := h.events.Next(t, events.Change); ev.Count != 2 || ev.Paths[0] != "main.go" {
		t.Fatalf("change = %+v", ev)
	}
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.Next(t, events.BuildOK)
	if ev := h.events.Next(t, events.Stop); ev.PID != 100 {
		t.Fatalf("stopped pid %d, want the old program", ev.PID)
	}
	h.events.Next(t, events.Start)
	h.cancel()
	<-h.done
	if got := h.starter.snapshot(); fmt.Sprint(got) != "[bin1 bin2]" {
		t.Fatalf("started %v", got)
	}
	if !h.starter.progs[1].stopped {
		t.Fatal("the program was not stopped on shutdown")
	}
}

// The loop has the next start prepared once the program is ready, or,
// with no readiness check, PrepareAfter after the start; the build that
// made the program prepared its own start.
func TestRunnerPreparesTheNextStart(t *testing.T) {
	t.Parallel()
	for _, withReady := range []bool{true, false} {
		rd := newFakeReady()
		h := startRunnerWith(t, func(o *Options) {
			if withReady {
				o.Ready = rd
			}
			o.Starter.(*fakeStarter).prepared = make(chan struct{}, 10)
		})
		h.buildAndStart(t, "bin1")
		started := time.Now()
		select {
		case <-h.starter.prepared: // the first build's
		default:
			t.Fatal("the first build did not prepare its start")
		}
		if withReady {
			select {
			case <-h.starter.prepared:
				t.Fatal("prepared before the program was ready")
			case <-time.After(PrepareAfter + 200*time.Millisecond):
			}
			rd.pass <- struct{}{}
			h.events.Next(t, events.Ready)
		}
		select {
		case <-h.starter.prepared:
			// Half: the test saw the start later than the loop timed it.
			if !withReady && time.Since(started) < PrepareAfter/2 {
				t.Errorf("prepared %s after the start, want %s", time.Since(started), PrepareAfter)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ready check %v: the next start was not prepared", withReady)
		}
	}
}

// A build prepares the start of the program it makes when it starts,
// beside its compiles, and the loop's later Prepare leaves the build's
// cores alone: nothing more is prepared while it runs.
func TestRunnerPreparesWhenABuildStarts(t *testing.T) {
	t.Parallel()
	// A readiness check that never passes: only builds prepare, however
	// long the test takes between the start and the save.
	rd := newFakeReady()
	h := startRunnerWith(t, func(o *Options) {
		o.Ready = rd
		o.Starter.(*fakeStarter).prepared = make(chan struct{}, 10)
	})
	h.buildAndStart(t, "bin1")
	<-h.starter.prepared // the first build's
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	b := h.build(t)
	select {
	case <-h.starter.prepared:
	case <-time.After(10 * time.Second):
		t.Fatal("the build did not prepare the start of its program")
	}
	select {
	case <-h.starter.prepared:
		t.Fatal("prepared again while the build ran")
	case <-time.After(PrepareAfter + 300*time.Millisecond):
	}
	h.restartAfter(t, b, BuildResult{Binary: "bin2"})
}

// An edit during a build cancels it; the stale build's binary never runs.
func TestRunnerCancelsStaleBuild(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.events.Next(t, events.BuildStart)
	first := h.build(t)
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	second := h.build(t)
	first.finish <- BuildResult{Binary: "stale"} // too late: it was cancelled
	second.finish <- BuildResult{Binary: "fresh"}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Start)
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
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Failed: true, Diagnostics: []events.Diagnostic{{File: "main.go", Line: 1, Column: 2, Message: "boom"}}}
	if ev := h.events.Next(t, events.BuildFailed); len(ev.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %+v", ev.Diagnostics)
	}
	if h.starter.progs[0].stopped {
		t.Fatal("old program stopped after a failed build")
	}
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin2"})
}

// A program that exits by itself is reported and not restarted until the
// next change.
func TestRunnerReportsExitAndWaits(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.buildAndStart(t, "bin1")
	h.starter.progs[0].exit(3)
	if ev := h.events.Next(t, events.Exit); ev.Code == nil || *ev.Code != 3 {
		t.Fatalf("exit event = %+v, want code 3", ev)
	}
	select {
	case <-h.builder.calls:
		t.Fatal("a crash started a build")
	case ev := <-h.events.C():
		t.Fatalf("unexpected event after exit: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Start) // no stop: nothing was running
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
			h.events.Next(t, events.Exit)
			if ev := h.events.Next(t, events.Info); !strings.Contains(ev.Message, "after exit code 3") {
				t.Fatalf("info = %q", ev.Message)
			}
			before := time.Now()
			h.events.Next(t, events.Start)
			waits = append(waits, time.Since(before))
		}
		if fmt.Sprint(waits) != "[100ms 200ms 400ms 800ms]" {
			t.Fatalf("back-off waits %v", waits)
		}
		h.starter.progs[4].exit(0)
		h.events.Next(t, events.Exit)
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case ev := <-h.events.C():
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
	h.events.Next(t, events.Change)
	h.events.Next(t, events.Stop)
	h.events.Next(t, events.Start)
	h.save(".env", "main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t)
}

// A program that exits while a build runs is reported; the build's
// binary then starts.
func TestRunnerProgramExitsDuringBuild(t *testing.T) {
	t.Parallel()
	h := startRunner(t)
	h.buildAndStart(t, "bin1")
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	b := h.build(t)
	h.starter.progs[0].exit(1)
	h.events.Next(t, events.Exit)
	b.finish <- BuildResult{Binary: "bin2"}
	h.events.Next(t, events.BuildOK)
	if ev := h.events.Next(t, events.Start); ev.PID != 101 {
		t.Fatalf("start = %+v", ev)
	}
}

// With run.ready, the loop reports the program ready, with the time
// since the save.
func TestRunnerReportsReady(t *testing.T) {
	t.Parallel()
	ready := newFakeReady()
	h := startRunnerWith(t, func(o *Options) { o.Ready = ready })
	h.buildAndStart(t, "bin1")
	ready.pass <- struct{}{}
	if ev := h.events.Next(t, events.Ready); ev.PID != 100 || ev.Millis == nil || *ev.Millis <= 0 {
		t.Fatalf("ready = %+v", ev)
	}
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: "bin2"}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Stop)
	h.events.Next(t, events.Start) // the old program freed the port first
	ready.pass <- struct{}{}
	h.events.Next(t, events.Ready)
	ready.mu.Lock()
	defer ready.mu.Unlock()
	if ready.frees != 2 {
		t.Errorf("%d waits for a free port, want one before each start", ready.frees)
	}
}

// A check that gives up is reported once with its reason, and the loop
// stops checking that program.
func TestRunnerReportsACheckThatGivesUp(t *testing.T) {
	t.Parallel()
	ready := newFakeReady()
	h := startRunnerWith(t, func(o *Options) { o.Ready = ready })
	h.buildAndStart(t, "bin1")
	ready.fail <- errors.New("127.0.0.1:1 did not answer within 1m0s")
	if ev := h.events.Next(t, events.Warn); ev.Message != "run.ready: 127.0.0.1:1 did not answer within 1m0s; no longer checking" {
		t.Fatalf("warning %q", ev.Message)
	}
}

// A request builds and restarts, after a line with its reason.
func TestRunnerRequestRebuilds(t *testing.T) {
	t.Parallel()
	requests := make(chan Request)
	h := startRunnerWith(t, func(o *Options) { o.Requests = requests })
	h.buildAndStart(t, "bin1")
	requests <- Request{Why: "rebuild requested"}
	if ev := h.events.Next(t, events.Info); ev.Message != "rebuild requested" {
		t.Fatalf("info %q", ev.Message)
	}
	h.events.Next(t, events.BuildStart)
	if fb := h.build(t); fb.changed != nil {
		t.Fatalf("a requested build got changed = %q, want a full build", fb.changed)
	} else {
		fb.finish <- BuildResult{Binary: "bin2"}
	}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Stop)
	h.events.Next(t, events.Start)
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
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.events.Next(t, events.BuildOK)
	if ev := h.events.Next(t, events.Reload); ev.PID != 100 || ev.Package != "p" {
		t.Fatalf("reload = %+v", ev)
	}

	rl.results <- ReloadResult{Package: "p", Err: fmt.Errorf("wrong type")}
	h.save("plug/a.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.events.Next(t, events.BuildOK)
	if ev := h.events.Next(t, events.Warn); !strings.Contains(ev.Message, "wrong type; rebuilding and restarting instead") {
		t.Fatalf("warn = %q", ev.Message)
	}
	h.events.Next(t, events.BuildStart)
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin2"})

	for range 2 {
		h.reloadOnce(t, rl)
	}
	h.save("plug/a.go") // the third in a row: max_reloads is 2
	h.events.Next(t, events.Change)
	if ev := h.events.Next(t, events.Info); !strings.Contains(ev.Message, "max_reloads") {
		t.Fatalf("info = %q", ev.Message)
	}
	h.events.Next(t, events.BuildStart)
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin3"})

	h.reloadOnce(t, rl)
	h.starter.progs[2].exit(2) // a crash after a reload
	h.events.Next(t, events.Exit)
	h.events.Next(t, events.Info)
	h.events.Next(t, events.BuildStart) // a build, not a restart of bin3
	fb := h.build(t)
	if got := strings.Join(fb.changed, ","); got != "plug/a.go" {
		t.Fatalf("the build after a crash got changed = %q, want the reload's plug/a.go", got)
	}
	fb.finish <- BuildResult{Binary: "bin4"}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Start)
}

// A plugin-only save that cancels a program build must not shrink it to
// a reload: the cancelled build's edit still has to be applied.
func TestRunnerCancelledBuildIsNotCutToReload(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) { o.Reloader, o.MaxReloads = rl, 10 })
	h.buildAndStart(t, "bin1")
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t) // left running
	h.save("plug/a.go")
	h.events.Next(t, events.Change)
	if ev := h.events.Next(t, events.BuildStart); ev.Package != "." {
		t.Fatalf("build_start %+v: want a program build, not a reload", ev)
	}
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin2"})
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
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	if ev := h.events.Next(t, events.BuildFailed); ev.Output != "run go build: boom" {
		t.Fatalf("build_failed output %q", ev.Output)
	}
	h.events.Next(t, events.Warn)
	if ev := h.events.Next(t, events.BuildStart); ev.Package != "." {
		t.Fatalf("build_start %+v, want the program's build", ev)
	}
	h.build(t)
}

// TestRunnerBuildAfterReloadCoversItsEdits: a build is told the changed
// paths, so it can replay. After an in-process reload, loaded or not,
// they include the reload's, whose edits the binary lacks and no later
// batch names, until a program build succeeds.
func TestRunnerBuildAfterReloadCoversItsEdits(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) { o.Reloader, o.MaxReloads = rl, 5 })
	h.buildAndStart(t, "bin1")
	built := func(want, bin string) {
		t.Helper()
		h.save("main.go")
		h.events.Next(t, events.Change)
		h.events.Next(t, events.BuildStart)
		fb := h.build(t)
		if got := strings.Join(fb.changed, ","); got != want {
			t.Fatalf("build got changed = %q, want %q", got, want)
		}
		if bin == "" {
			fb.finish <- BuildResult{Failed: true}
			h.events.Next(t, events.BuildFailed)
			return
		}
		h.restartAfter(t, fb, BuildResult{Binary: bin})
	}

	built("main.go", "bin2")
	h.reloadOnce(t, rl)
	// A failed build keeps the reload's edit unapplied; a good one applies it.
	built("main.go,plug/a.go", "")
	built("main.go,plug/a.go", "bin3")
	built("main.go", "bin4")

	// A reload whose plugin does not compile leaves the plugin's edit out
	// of the binary too.
	rl.results <- ReloadResult{Package: "p", Build: BuildResult{Failed: true}}
	h.save("plug/b.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.events.Next(t, events.BuildFailed)
	built("main.go,plug/b.go", "bin5")
}

// TestRunnerBuiltGetsTheBuildsStart: Built is called after each good
// build, and after a failed one as Failed, with the paths that caused it
// and the time it started: after the save that caused it, before the
// builder ran.
func TestRunnerBuiltGetsTheBuildsStart(t *testing.T) {
	t.Parallel()
	type call struct {
		changed []string
		started time.Time
		failed  bool
	}
	calls := make(chan call, 10)
	before := time.Now()
	h := startRunnerWith(t, func(o *Options) {
		o.Built = func(b Built) { calls <- call{b.Changed, b.Started, b.Failed} }
	})
	h.events.Next(t, events.BuildStart)
	b := h.build(t)
	taken := time.Now()
	b.finish <- BuildResult{Binary: "bin1"}
	h.events.Next(t, events.BuildOK)
	h.events.Next(t, events.Start)
	if c := <-calls; c.changed != nil || c.started.Before(before) || c.started.After(taken) {
		t.Fatalf("first build: Built(%v, %v), want nil paths and a start between %v and %v", c.changed, c.started, before, taken)
	}

	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Failed: true}
	h.events.Next(t, events.BuildFailed)
	if c := <-calls; !c.failed || fmt.Sprint(c.changed) != "[main.go]" {
		t.Fatalf("after a failed build: Built(%+v), want Failed with [main.go]", c)
	}

	saved := time.Now()
	h.save("lib/lib.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	b = h.build(t)
	taken = time.Now()
	h.restartAfter(t, b, BuildResult{Binary: "bin2"})
	c := <-calls
	if fmt.Sprint(c.changed) != "[lib/lib.go]" || c.failed || c.started.Before(saved) || c.started.After(taken) {
		t.Fatalf("after a failed build and a save: Built(%v, %v), want [lib/lib.go] and a start between %v and %v", c.changed, c.started, saved, taken)
	}
	select {
	case c := <-calls:
		t.Fatalf("Built called once more: %+v", c)
	default:
	}
}

// TestRunnerBuiltAfterAReload: a plugin build the program loaded is
// told to Built too (Reload), with its paths and its start, so that what
// the build reads is asked again after a reload as after a build.
func TestRunnerBuiltAfterAReload(t *testing.T) {
	t.Parallel()
	calls := make(chan Built, 10)
	rl := &fakeReloader{results: make(chan ReloadResult, 10)}
	h := startRunnerWith(t, func(o *Options) {
		o.Reloader, o.MaxReloads = rl, 10
		o.Built = func(b Built) { calls <- b }
	})
	h.buildAndStart(t, "bin1")
	<-calls
	saved := time.Now()
	h.reloadOnce(t, rl)
	select {
	case b := <-calls:
		if !b.Reload || fmt.Sprint(b.Changed) != "[plug/a.go]" || b.Started.Before(saved) {
			t.Fatalf("Built(%+v), want a reload of [plug/a.go] started after %v", b, saved)
		}
	case <-time.After(testkit.Timeout):
		t.Fatal("Built not called after a reload")
	}
}

// TestReportBuild: every end of a build is one event, build_ok or
// build_failed, whether it compiled, failed to compile, or could not run;
// the loop and golive build report through it alike.
func TestReportBuild(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		res  BuildResult
		ok   bool
		want events.Event
	}{
		{BuildResult{Binary: "b", Replayed: true, Duration: time.Second}, true, events.Event{Type: events.BuildOK, Replayed: true}},
		{BuildResult{Failed: true, Output: "rest", Diagnostics: []events.Diagnostic{{File: "a.go", Line: 1, Message: "m"}}}, false,
			events.Event{Type: events.BuildFailed, Output: "rest", Diagnostics: []events.Diagnostic{{File: "a.go", Line: 1, Message: "m"}}}},
		{BuildResult{Err: errors.New("run go build: no go")}, false, events.Event{Type: events.BuildFailed, Output: "run go build: no go"}},
	} {
		got := testkit.NewEvents()
		if ok := ReportBuild(events.New(got, events.Options{JSON: true}), tc.res); ok != tc.ok {
			t.Errorf("ReportBuild(%+v) = %v", tc.res, ok)
		}
		ev := got.Next(t, tc.want.Type)
		if ev.Output != tc.want.Output || ev.Replayed != tc.want.Replayed || fmt.Sprint(ev.Diagnostics) != fmt.Sprint(tc.want.Diagnostics) {
			t.Errorf("ReportBuild(%+v) emitted %+v, want %+v", tc.res, ev, tc.want)
		}
		select {
		case ev := <-got.C():
			t.Errorf("a second event %+v", ev)
		default:
		}
	}
}

// inPlaceStarter starts programs that restart in place (as delve's do),
// failing that as fail says.
type inPlaceStarter struct {
	fakeStarter
	fail     chan error // what the next Replace returns
	replaced chan string
}

type inPlaceProgram struct {
	*fakeProgram
	s *inPlaceStarter
}

func (p inPlaceProgram) Replace(bin string) ReplaceResult {
	if err := <-p.s.fail; err != nil {
		return ReplaceResult{Err: err}
	}
	p.s.replaced <- bin
	p.done, p.once = make(chan struct{}), sync.Once{} // a new target runs
	return ReplaceResult{Discarded: []events.Breakpoint{{File: "a.go", Line: 3, Reason: "gone"}}}
}

func (s *inPlaceStarter) Start(bin string) (Program, error) {
	p, _ := s.fakeStarter.Start(bin)
	return inPlaceProgram{fakeProgram: p.(*fakeProgram), s: s}, nil
}

// rebuild saves main.go and takes its build to success with bin.
func (h *harness) rebuild(t *testing.T, bin string) {
	t.Helper()
	h.save("main.go")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.build(t).finish <- BuildResult{Binary: bin}
	h.events.Next(t, events.BuildOK)
}

// TestRunnerRestartsInPlace: a program that can run a new binary in place
// is not stopped; when that fails, the loop stops and starts it instead.
func TestRunnerRestartsInPlace(t *testing.T) {
	t.Parallel()
	st := &inPlaceStarter{fail: make(chan error, 1), replaced: make(chan string, 1)}
	h := startRunnerWith(t, func(o *Options) { o.Starter = st })
	h.buildAndStart(t, "bin")

	st.fail <- nil
	h.rebuild(t, "bin")
	ev := h.events.Next(t, events.DebugRestart)
	if ev.PID != 100 || len(ev.Discarded) != 1 || <-st.replaced != "bin" {
		t.Errorf("debug_restart %+v, want pid 100 with the discarded breakpoint", ev)
	}

	st.fail <- errors.New("delve said no")
	h.rebuild(t, "bin")
	if w := h.events.Next(t, events.Warn); !strings.Contains(w.Message, "in-place restart failed (delve said no); stopping and starting it instead") {
		t.Errorf("warning %q", w.Message)
	}
	h.events.Next(t, events.Stop)
	if ev := h.events.Next(t, events.Start); ev.PID != 101 {
		t.Errorf("start %+v, want a new program", ev)
	}
}

// TestRunnerEnvChangeIsANewStart: a new environment reaches only a new
// start, so an env file change is never restarted in place.
func TestRunnerEnvChangeIsANewStart(t *testing.T) {
	t.Parallel()
	st := &inPlaceStarter{fail: make(chan error, 1), replaced: make(chan string, 1)}
	h := startRunnerWith(t, func(o *Options) {
		o.Starter = st
		o.RestartOnly = func(p string) bool { return p == ".env" }
	})
	h.buildAndStart(t, "bin")
	h.save(".env")
	h.events.Next(t, events.Change)
	h.events.Next(t, events.Stop)
	if ev := h.events.Next(t, events.Start); ev.PID != 101 {
		t.Errorf("start %+v, want a new program for the new environment", ev)
	}
}

// TestRunnerRestartsExitedInPlace: under a debugger that outlives its
// program, a program that exited is restarted in place by the next build.
func TestRunnerRestartsExitedInPlace(t *testing.T) {
	t.Parallel()
	st := &inPlaceStarter{fail: make(chan error, 1), replaced: make(chan string, 1)}
	h := startRunnerWith(t, func(o *Options) { o.Starter = st })
	h.buildAndStart(t, "bin")
	st.progs[0].exit(3)
	if ev := h.events.Next(t, events.Exit); ev.Code == nil || *ev.Code != 3 {
		t.Fatalf("exit %+v, want code 3", ev)
	}
	st.fail <- nil
	h.rebuild(t, "bin")
	h.events.Next(t, events.DebugRestart)
	<-st.replaced
	select {
	case ev := <-h.events.C():
		t.Errorf("event %+v after the in-place restart, want none (the new target runs)", ev)
	case <-time.After(200 * time.Millisecond):
	}
}
