// Package runner is golive's loop: it turns batches of changed files into
// a running program. On a batch it starts a build (cancelling one that a
// newer batch made stale) or an in-process reload, and on a good build it
// stops the old program and starts the new binary. One goroutine, Run's,
// owns all of that state; builds and process waits report back to it
// over channels. The loop only decides: building, supervision, readiness
// and reload are other packages' jobs, behind the interfaces it declares
// in contracts.go, so it is tested with fakes.
package runner

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/watcher"
)

// Options wire a Runner.
type Options struct {
	Builder Builder
	Starter Starter
	Log     *events.Logger
	Package string // named in build_start events
	// Force is closed when the user insists (a second Ctrl-C): a stop in
	// progress kills at once.
	Force <-chan struct{}
	// Requests delivers requests for a rebuild and restart: r + Enter,
	// SIGUSR1, a refresh of the embedded files.
	Requests <-chan Request
	// Built, when set, is called on the loop's goroutine after each
	// successful build, after each in-process reload (Built.Reload), and
	// after a build that failed to compile (Built.Failed).
	// It must only record and signal: no I/O, no blocking (the loop reads
	// no batch meanwhile).
	Built func(Built)
	// Ready, when set, is the check that the new program serves; the
	// loop reports the time from the save to it passing.
	Ready Readiness
	// Restart says whether a program that exits by itself starts again.
	Restart RestartPolicy
	// RestartOnly reports paths whose change needs a restart but no build
	// (the env file).
	RestartOnly func(path string) bool
	// Reloader, when set, applies batches that touch only plugin trees
	// inside the running program; MaxReloads of them in a row, then a
	// restart frees the memory that loaded plugins keep.
	Reloader   Reloader
	MaxReloads int
}

// PrepareAfter is how long after a start the loop calls Prepare when no
// readiness check says the program is up: long enough for a program's
// own start-up to have had the cores (about 20 ms for a small server),
// and short, as a save in the window finds no keeper waiting and its
// build starts one beside its compiles (about 25 ms of CPU).
const PrepareAfter = 300 * time.Millisecond

// Runner is the build-and-restart loop.
type Runner struct {
	opts Options
}

// New returns a Runner.
func New(opts Options) *Runner {
	return &Runner{opts: opts}
}

// progState is what the loop knows of the program.
type progState int

const (
	noProgram progState = iota // never started, or start failed
	running
	exited // ended by itself; waits for the next change
)

// build is the one build in flight.
type build struct {
	cancel  context.CancelFunc
	done    chan outcome
	saved   time.Time // when the edit that caused it was first seen
	started time.Time
	changed []string // the paths that caused it; nil for the first build
	reload  bool     // an in-process reload, not a program build
	// A speculative build (Speculator) started on tentative batch guess:
	// closing adopt makes it the build of the batch that names guess.
	// The Speculator closes idle if it waits for adopt with nothing done.
	guess uint64
	adopt chan struct{}
	idle  chan struct{}
}

// outcome is what a build goroutine reports: a program build, or an
// in-process reload.
type outcome struct {
	build  BuildResult
	reload *ReloadResult
}

// loop is Run's state. Only Run's goroutine touches it.
type loop struct {
	*Runner
	ctx   context.Context
	build *build
	prog  Program
	state progState

	bin     string    // the newest good binary
	saved   time.Time // when the edit behind the running program was saved
	started time.Time // when the running program started

	ready     chan readyResult // the readiness check of the running program
	readyGen  int              // the current check's number
	stopReady context.CancelFunc
	retry     <-chan time.Time // an automatic restart after an exit
	prepareAt <-chan time.Time // the next start's Prepare, for a program with no readiness check
	backoff   Backoff

	retryAfterBuild bool // an automatic restart came due during a build
	newEnv          bool // the env file changed: the next start must be a new one, not in place
	reloads         int  // in-process reloads since the program started
	stale           bool // bin lacks code the program reloaded: rebuild, never restart it
	// unlinked: the paths of the edits that went to a reload, loaded or
	// not, since the last successful program build. bin and the recipe of
	// every build lack them, and no later batch names them: the next build
	// must cover them too.
	unlinked []string
	// guess is a speculative build started on a tentative batch, until
	// the batch that ends the burst adopts it (it becomes build) or not.
	guess *build
}

type readyResult struct {
	prog Program
	gen  int // which check: an in-place restart keeps the Program
	err  error
}

// Run builds and starts the program, then rebuilds and restarts it for
// every batch, until ctx is done. It then stops the program tree and
// returns once nothing of it is left.
func (r *Runner) Run(ctx context.Context, batches <-chan watcher.Batch) error {
	l := &loop{Runner: r, ctx: ctx, ready: make(chan readyResult, 1)}
	l.startBuild(ctx, time.Now(), nil)
	for {
		// A select picks at random among ready cases: once ctx is done,
		// nothing else may start a build or a program.
		if ctx.Err() != nil {
			l.dropGuess()
			l.cancelBuild()
			l.stopProgram()
			return nil
		}
		select {
		case <-ctx.Done():
			continue
		case b, ok := <-batches:
			if !ok {
				batches = nil // the watcher ended; its error reaches cmd
				continue
			}
			l.onBatch(b)
		case req := <-r.opts.Requests:
			if req.Why != "" {
				r.opts.Log.Infof("%s", req.Why)
			}
			l.cancelBuild()
			l.startBuild(ctx, time.Now(), nil)
		case out := <-l.buildDone():
			b := l.build
			l.build = nil
			if out.reload != nil {
				l.finishReload(*out.reload, b)
			} else if l.finishBuild(out.build, b.saved) && r.opts.Built != nil {
				r.opts.Built(Built{Changed: b.changed, Started: b.started})
			} else if out.build.Failed && r.opts.Built != nil {
				r.opts.Built(Built{Changed: b.changed, Started: b.started, Failed: true})
			}
			if l.retryAfterBuild && l.build == nil && l.state == exited {
				l.restartOrRebuild(time.Now()) // the build failed; the crashed program is due back
			}
		case <-l.progDone():
			l.onExit()
		case res := <-l.ready:
			l.onReady(res)
		case <-l.prepareAt:
			l.prepareAt = nil
			if l.build == nil { // else a program build prepared it when it started (a reload starts nothing)
				l.opts.Starter.Prepare()
			}
		case <-l.retry:
			l.retry = nil
			if l.build != nil {
				l.retryAfterBuild = true // unless the build brings a new program
			} else if l.state == exited {
				l.restartOrRebuild(time.Now())
			}
		}
	}
}

// onBatch rebuilds, or only restarts when every change is one that needs
// no build (the env file) and there is a binary to restart. A tentative
// batch may start a speculative build, which the batch that ends its
// burst adopts or drops.
func (l *loop) onBatch(b watcher.Batch) {
	if b.Tentative {
		l.onGuess(b)
		return
	}
	if l.adoptGuess(b) {
		return
	}
	l.reportChange(b)
	if l.restartOnly(b) && l.bin != "" && !l.reloading() {
		if l.build == nil { // a build in flight restarts with the new env anyway
			l.newEnv = true // only a new start takes it
			l.restartOrRebuild(b.First)
		}
		return
	}
	changed := append(l.cancelBuild(), paths(b)...)
	if l.canReload(changed) {
		l.startReload(b.First, changed)
		return
	}
	l.startBuild(l.ctx, b.First, changed)
}

// restartOrRebuild starts the newest binary again, unless the program
// has reloaded code since it was built: then only a build is current.
func (l *loop) restartOrRebuild(saved time.Time) {
	if l.stale {
		// bin lacks the reloaded edits only: a build of them can replay.
		l.startBuild(l.ctx, saved, slices.Clone(l.unlinked))
		return
	}
	l.restart(l.bin, saved)
}

// canReload reports whether changed can be applied inside the running
// program.
func (l *loop) canReload(changed []string) bool {
	r := l.opts.Reloader
	if r == nil || l.state != running || !r.Covers(changed) {
		return false
	}
	if l.reloads >= l.opts.MaxReloads {
		l.opts.Log.Infof("restarting instead of reloading: %d in-process reloads reached plugins.max_reloads, and loaded code is never freed", l.reloads)
		return false
	}
	return true
}

// startReload builds the plugin code of changed in its own goroutine and
// hands it to the running program, like startBuild for a program build.
func (l *loop) startReload(saved time.Time, changed []string) {
	l.dropGuess()
	bctx, cancel := context.WithCancel(l.ctx)
	b := &build{cancel: cancel, done: make(chan outcome, 1), saved: saved, started: time.Now(), changed: changed, reload: true}
	l.build = b
	l.opts.Log.Emit(events.Event{Type: events.BuildStart, Package: "plugin"})
	l.unlinked = l.withUnlinked(changed)
	pid := l.prog.PID()
	go func() {
		res := l.opts.Reloader.Reload(bctx, changed, pid)
		b.done <- outcome{reload: &res}
	}()
}

// finishReload reports a reload. A compile error keeps the old code
// running, as for a program build; a load that failed falls back to a
// build and restart, so stale code never runs.
func (l *loop) finishReload(res ReloadResult, b *build) {
	switch {
	case res.Build.Err != nil:
		if !l.reportBuildErr(res.Build) {
			return
		}
		l.opts.Log.Warnf("the plugin could not be built; rebuilding and restarting instead")
	case res.Build.Failed:
		ReportBuild(l.opts.Log, res.Build)
		if l.opts.Built != nil {
			l.opts.Built(Built{Changed: b.changed, Started: b.started, Reload: true, Failed: true})
		}
		if res.Load > 0 {
			l.stale = true // another tree of the batch did load
		}
		return
	case res.Err != nil:
		ReportBuild(l.opts.Log, res.Build)
		l.opts.Log.Warnf("reload of %s failed: %v; rebuilding and restarting instead", res.Package, res.Err)
	default:
		ReportBuild(l.opts.Log, res.Build)
		l.reloads++
		l.stale = true
		l.opts.Log.Emit(events.Event{Type: events.Reload, Package: res.Package, PID: l.prog.PID(), Duration: res.Load, Open: res.Open, Swap: res.Swap})
		if l.opts.Built != nil {
			l.opts.Built(Built{Changed: b.changed, Started: b.started, Reload: true})
		}
		return
	}
	l.startBuild(l.ctx, b.saved, b.changed)
}

func (l *loop) restartOnly(b watcher.Batch) bool {
	if l.opts.RestartOnly == nil || len(b.Changes) == 0 {
		return false
	}
	for _, c := range b.Changes {
		if !l.opts.RestartOnly(c.Path) {
			return false
		}
	}
	return true
}

func (l *loop) buildDone() <-chan outcome {
	if l.build == nil {
		return nil
	}
	return l.build.done
}

func (l *loop) progDone() <-chan struct{} {
	if l.state != running {
		return nil
	}
	return l.prog.Done()
}

// onGuess starts a speculative build for tentative batch b, in place of
// the one before, where a build of b's paths would start now: no build in
// flight, a Speculator, paths that are neither a restart's alone nor a
// reload's. A tentative batch with no paths only drops the one before.
func (l *loop) onGuess(b watcher.Batch) {
	l.dropGuess()
	sp, ok := l.opts.Builder.(Speculator)
	changed := paths(b)
	if !ok || len(changed) == 0 || l.build != nil || l.restartOnly(b) || l.pluginPaths(changed) {
		return
	}
	bctx, cancel := context.WithCancel(l.ctx)
	g := &build{cancel: cancel, done: make(chan outcome, 1), started: time.Now(), changed: changed, guess: b.Guess, adopt: make(chan struct{}), idle: make(chan struct{})}
	all := l.withUnlinked(changed)
	go func() { g.done <- outcome{build: sp.Speculate(bctx, all, g.adopt, g.idle)} }()
	l.guess = g
}

// adoptGuess makes the speculative build the build of batch b, when b
// ends the burst of its guess and would start the same build now, and
// reports whether it did. Otherwise the speculative build is dropped.
func (l *loop) adoptGuess(b watcher.Batch) bool {
	g := l.guess
	if g == nil {
		return false
	}
	changed := paths(b)
	if b.Guess != g.guess || l.build != nil || l.restartOnly(b) || l.pluginPaths(changed) || !subset(changed, g.changed) {
		l.dropGuess()
		return false
	}
	l.guess = nil
	l.reportChange(b)
	// The build began at the guess, before the quiet window ended, unless
	// the guess found nothing to do before its adoption.
	select {
	case <-g.idle:
		g.started = time.Now()
	default:
	}
	l.opts.Log.Emit(events.Event{Type: events.BuildStart, Package: l.opts.Package, Time: g.started})
	g.saved = b.First
	l.build = g
	close(g.adopt)
	l.opts.Starter.Prepare()
	return true
}

// pluginPaths reports whether the plugin trees hold all of changed: the
// batch may be a reload, which is no guess's to start.
func (l *loop) pluginPaths(changed []string) bool {
	return l.opts.Reloader != nil && l.opts.Reloader.Covers(changed)
}

// dropGuess cancels the speculative build, if any, and waits for it.
func (l *loop) dropGuess() {
	if l.guess != nil {
		l.guess.cancel()
		<-l.guess.done
		l.guess = nil
	}
}

// withUnlinked is changed with the paths of l.unlinked added: what a
// program build must cover, so that a replay compiles the reloaded code
// too. nil, a full build, stays nil.
func (l *loop) withUnlinked(changed []string) []string {
	if changed == nil || len(l.unlinked) == 0 {
		return changed
	}
	all := slices.Clone(changed)
	for _, p := range l.unlinked {
		if !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	return all
}

// subset reports whether every path of a is in b.
func subset(a, b []string) bool {
	for _, p := range a {
		if !slices.Contains(b, p) {
			return false
		}
	}
	return true
}

// startBuild starts a build in its own goroutine, which ends when Build
// returns; cancelBuild waits for that, so builds never overlap.
func (l *loop) startBuild(ctx context.Context, saved time.Time, changed []string) {
	l.dropGuess()
	bctx, cancel := context.WithCancel(ctx)
	b := &build{cancel: cancel, done: make(chan outcome, 1), saved: saved, started: time.Now(), changed: changed}
	l.build = b
	l.opts.Log.Emit(events.Event{Type: events.BuildStart, Package: l.opts.Package})
	changed = l.withUnlinked(changed)
	go func() { b.done <- outcome{build: l.opts.Builder.Build(bctx, changed)} }()
	// The build's program will need a keeper: one made at the restart
	// would start between the old program's stop and the new start.
	l.opts.Starter.Prepare()
}

// cancelBuild kills the build in flight, if any, and waits for it: its
// result is stale whatever it is. It returns the paths that build was
// for, which the next build must cover: the edits are still unapplied.
// A cancelled program build is never cut down to a reload: its paths
// include one outside the plugin trees (or it was the first build, whose
// nil paths no reload covers).
func (l *loop) cancelBuild() []string {
	if l.build == nil {
		return nil
	}
	l.build.cancel()
	<-l.build.done
	changed := l.build.changed
	if !l.build.reload && changed == nil {
		changed = []string{""} // the first build: only a full build replaces it
	}
	l.build = nil
	return changed
}

func (l *loop) reloading() bool { return l.build != nil && l.build.reload }

// finishBuild reports a build and restarts on success, which it returns.
func (l *loop) finishBuild(res BuildResult, saved time.Time) bool {
	if res.Err != nil {
		l.reportBuildErr(res)
		return false
	}
	if !ReportBuild(l.opts.Log, res) {
		return false
	}
	l.bin, l.stale, l.unlinked = res.Binary, false, nil
	l.backoff = Backoff{} // new code deserves a fresh start
	l.restart(res.Binary, saved)
	return true
}

// reportBuildErr reports a build that golive could not run (no go
// command, a directory that is gone, a binary it could not swap) as a
// failed build. A build cancelled because golive is stopping reports
// nothing, as a build cancelled by a newer edit does; reportBuildErr
// returns false then.
func (l *loop) reportBuildErr(res BuildResult) bool {
	if l.ctx.Err() != nil && errors.Is(res.Err, context.Canceled) {
		return false
	}
	ReportBuild(l.opts.Log, res)
	return true
}

// restart stops the old program, if one runs, and starts the new binary.
// The old program served until now: the new binary is already in place.
func (l *loop) restart(bin string, saved time.Time) {
	if err := l.opts.Starter.Check(); err != nil {
		if l.ctx.Err() == nil { // else golive stops: Check was cut short, nothing failed
			l.opts.Log.Errorf("%v; the old program keeps running", err)
		}
		return
	}
	if l.replace(bin, saved) {
		return
	}
	l.stopProgram()
	l.retry, l.retryAfterBuild = nil, false
	if l.ctx.Err() != nil {
		return // golive is stopping: Ctrl-C came during the stop
	}
	if l.opts.Ready != nil && !l.opts.Ready.WaitPortFree(2*time.Second) {
		l.opts.Log.Warnf("%s still answers after the old program stopped; another process holds the port", l.opts.Ready)
	}
	p, err := l.opts.Starter.Start(bin)
	if err != nil {
		l.opts.Log.Errorf("%v", err)
		l.state = noProgram
		return
	}
	l.prog, l.state, l.saved, l.started = p, running, saved, time.Now()
	l.reloads = 0
	l.opts.Log.Emit(events.Event{Type: events.Start, PID: p.PID()})
	l.watchReady(p)
	if l.opts.Ready == nil {
		// No check says when the program is up: prepare once a small
		// program's start has had the cores (PrepareAfter); a slower one
		// shares them with the keeper's start, about 25 ms of CPU.
		l.prepareAt = time.After(PrepareAfter)
	}
}

// replace restarts the running program in place when it can (under a
// debugger), and reports whether it did.
func (l *loop) replace(bin string, saved time.Time) bool {
	ip, ok := l.prog.(InPlace)
	newEnv := l.newEnv
	l.newEnv = false
	// An exited program under a debugger that stays (delve outlives its
	// target) is restarted in place too.
	if !ok || l.state == noProgram || newEnv {
		return false
	}
	l.cancelReady()
	res := ip.Replace(bin)
	if res.Note != "" {
		l.opts.Log.Infof("%s", res.Note)
	}
	if res.Err != nil {
		l.opts.Log.Warnf("in-place restart failed (%v); stopping and starting it instead", res.Err)
		return false
	}
	l.retry, l.retryAfterBuild = nil, false
	l.state, l.saved, l.started, l.reloads = running, saved, time.Now(), 0
	l.opts.Log.Emit(events.Event{Type: events.DebugRestart, PID: l.prog.PID(), Duration: res.Duration, Discarded: res.Discarded})
	l.watchReady(l.prog)
	return true
}

// watchReady runs the readiness check of p in a goroutine that ends when
// the check passes or p is stopped or exits (stopReady).
func (l *loop) watchReady(p Program) {
	if l.opts.Ready == nil {
		return
	}
	ctx, cancel := context.WithCancel(l.ctx)
	l.stopReady = cancel
	l.readyGen++
	gen := l.readyGen
	go func() {
		err := l.opts.Ready.Wait(ctx)
		select {
		case l.ready <- readyResult{prog: p, gen: gen, err: err}:
		case <-ctx.Done():
		}
	}()
}

func (l *loop) cancelReady() {
	if l.stopReady != nil {
		l.stopReady()
		l.stopReady = nil
	}
}

func (l *loop) onReady(res readyResult) {
	if res.prog != l.prog || res.gen != l.readyGen || l.state != running {
		return // a check of a program that is gone, or restarted in place since
	}
	if res.err != nil {
		if !errors.Is(res.err, context.Canceled) {
			l.cancelReady()
			l.opts.Log.Warnf("run.ready: %v; no longer checking", res.err)
		}
		return
	}
	l.cancelReady()
	l.opts.Log.Emit(events.Event{Type: events.Ready, PID: res.prog.PID(), Duration: time.Since(l.saved)})
	if l.build == nil { // else a program build prepared it when it started (a reload starts nothing)
		l.opts.Starter.Prepare() // the next start's part, now that this one's is done
	}
}

// stopProgram stops the running program with its tree. A program that
// exited by itself may have left processes of its group behind; they are
// stopped too, so nothing of it outlives the next start.
func (l *loop) stopProgram() {
	l.cancelReady()
	if l.state == noProgram {
		return
	}
	wasRunning := l.state == running
	res := l.prog.Stop(l.opts.Force)
	l.state = noProgram
	if wasRunning || res.Killed {
		l.opts.Log.Emit(events.Event{Type: events.Stop, PID: l.prog.PID(), Duration: res.Duration, Killed: res.Killed, Message: res.Reason})
	}
}

// onExit reports a program that ended by itself and, if the policy says
// so, schedules its restart after a back-off.
func (l *loop) onExit() {
	l.cancelReady()
	l.state = exited
	code, sig := l.prog.Exit()
	ev := events.Event{Type: events.Exit, PID: l.prog.PID(), Signal: sig}
	if sig == "" {
		ev.Code = events.Int(code)
	}
	l.opts.Log.Emit(ev)
	if !l.opts.Restart.Wants(code, sig) || l.bin == "" {
		return
	}
	d := l.backoff.Delay(time.Since(l.started))
	l.opts.Log.Infof("restarting in %s after %s (run.restart = %q)", d, ExitWords(code, sig), l.opts.Restart)
	l.retry = time.After(d)
}

func (l *loop) reportChange(b watcher.Batch) {
	l.opts.Log.Emit(events.Changed(paths(b)))
}

func paths(b watcher.Batch) []string {
	p := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		p[i] = c.Path
	}
	return p
}
