// Package runner turns batches of changed files into a running program:
// it builds with go build (cancelling a build that a newer batch made
// stale), swaps the binary by an atomic rename, and stops the old process
// tree before it starts the new one. One goroutine, Run's, owns all of
// that state; builds and process waits report back to it over channels.
package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-dev/golive/log"
	"github.com/golive-dev/golive/watcher"
)

// Builder builds the program. A cancelled context must stop the build
// before Build returns.
type Builder interface {
	Build(ctx context.Context) BuildResult
}

// Program is one running instance of the program.
type Program interface {
	PID() int
	Done() <-chan struct{}
	Exit() (code int, signal string)
	Stop(force <-chan struct{}) StopResult
}

// Starter starts the program from a binary.
type Starter interface {
	Start(bin string) (Program, error)
}

// ProcessStarter starts real processes.
type ProcessStarter struct {
	Opts RunOptions
	// Env, when set, gives each start its environment (an env file is
	// read again on every restart); it replaces Opts.Env.
	Env func() ([]string, error)
	// Stdin, when set, forwards golive's stdin to each program.
	Stdin *StdinMux
}

// Start implements Starter.
func (s ProcessStarter) Start(bin string) (Program, error) {
	opts := s.Opts
	if s.Env != nil {
		env, err := s.Env()
		if err != nil {
			return nil, err
		}
		opts.Env = env
	}
	if s.Stdin != nil {
		r, err := s.Stdin.Next()
		if err != nil {
			return nil, fmt.Errorf("stdin for the program: %w", err)
		}
		defer r.Close() // the program holds its own copy
		opts.Stdin = r
	}
	return StartProcess(bin, opts)
}

// Options wire a Runner.
type Options struct {
	Builder Builder
	Starter Starter
	Log     *log.Logger
	Package string // named in build_start events
	// Force is closed when the user insists (a second Ctrl-C): a stop in
	// progress kills at once.
	Force <-chan struct{}
	// Rebuild delivers manual requests for a rebuild and restart.
	Rebuild <-chan struct{}
	// Built, when set, is called from the loop after each successful
	// build with the paths that caused it (nil for the first build). It
	// must not block.
	Built func(changed []string)
	// Ready, when set, is the check that the new program serves; the
	// loop reports the time from the save to it passing.
	Ready *Readiness
	// Restart says whether a program that exits by itself starts again.
	Restart RestartPolicy
	// RestartOnly reports paths whose change needs a restart but no build
	// (the env file).
	RestartOnly func(path string) bool
}

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
	done    chan BuildResult
	saved   time.Time // when the edit that caused it was first seen
	changed []string  // the paths that caused it; nil for the first build
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
	stopReady context.CancelFunc
	retry     <-chan time.Time // an automatic restart after an exit
	backoff   backoff
}

type readyResult struct {
	prog Program
	err  error
}

// Run builds and starts the program, then rebuilds and restarts it for
// every batch, until ctx is done. It then stops the program tree and
// returns once nothing of it is left.
func (r *Runner) Run(ctx context.Context, batches <-chan watcher.Batch) error {
	l := &loop{Runner: r, ctx: ctx, ready: make(chan readyResult, 1)}
	l.startBuild(ctx, time.Now(), nil)
	for {
		select {
		case <-ctx.Done():
			l.cancelBuild()
			l.stopProgram()
			return nil
		case b, ok := <-batches:
			if !ok {
				batches = nil // the watcher ended; its error reaches cmd
				continue
			}
			l.onBatch(b)
		case <-r.opts.Rebuild:
			l.cancelBuild()
			l.startBuild(ctx, time.Now(), nil)
		case res := <-l.buildDone():
			changed := l.build.changed
			saved := l.build.saved
			l.build = nil
			if l.finishBuild(res, saved) && r.opts.Built != nil {
				r.opts.Built(changed)
			}
		case <-l.progDone():
			l.onExit()
		case res := <-l.ready:
			l.onReady(res)
		case <-l.retry:
			l.retry = nil
			if l.build == nil && l.state == exited {
				l.restart(l.bin, time.Now())
			}
		}
	}
}

// onBatch rebuilds, or only restarts when every change is one that needs
// no build (the env file) and there is a binary to restart.
func (l *loop) onBatch(b watcher.Batch) {
	l.reportChange(b)
	if l.restartOnly(b) && l.bin != "" {
		if l.build == nil { // a build in flight restarts with the new env anyway
			l.restart(l.bin, b.First)
		}
		return
	}
	l.cancelBuild()
	l.startBuild(l.ctx, b.First, paths(b))
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

func (l *loop) buildDone() <-chan BuildResult {
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

// startBuild starts a build in its own goroutine, which ends when Build
// returns; cancelBuild waits for that, so builds never overlap.
func (l *loop) startBuild(ctx context.Context, saved time.Time, changed []string) {
	bctx, cancel := context.WithCancel(ctx)
	b := &build{cancel: cancel, done: make(chan BuildResult, 1), saved: saved, changed: changed}
	l.build = b
	l.opts.Log.Emit(log.Event{Type: log.BuildStart, Package: l.opts.Package})
	go func() { b.done <- l.opts.Builder.Build(bctx) }()
}

// cancelBuild kills the build in flight, if any, and waits for it: its
// result is stale whatever it is.
func (l *loop) cancelBuild() {
	if l.build == nil {
		return
	}
	l.build.cancel()
	<-l.build.done
	l.build = nil
}

// finishBuild reports a build and restarts on success, which it returns.
func (l *loop) finishBuild(res BuildResult, saved time.Time) bool {
	switch {
	case res.Err != nil:
		l.opts.Log.Errorf("build: %v", res.Err)
		return false
	case res.Failed:
		l.opts.Log.Emit(log.Event{Type: log.BuildFailed, Duration: res.Duration, Diagnostics: res.Diagnostics, Output: res.Output})
		return false
	}
	l.opts.Log.Emit(log.Event{Type: log.BuildOK, Duration: res.Duration})
	l.bin = res.Binary
	l.backoff = backoff{} // new code deserves a fresh start
	l.restart(res.Binary, saved)
	return true
}

// restart stops the old program, if one runs, and starts the new binary.
// The old program served until now: the new binary is already in place.
func (l *loop) restart(bin string, saved time.Time) {
	l.stopProgram()
	l.retry = nil
	if l.opts.Ready != nil && !l.opts.Ready.WaitPortFree(2*time.Second) {
		l.opts.Log.Warnf("%s still answers after the old program stopped; another process holds the port", l.opts.Ready.addr)
	}
	p, err := l.opts.Starter.Start(bin)
	if err != nil {
		l.opts.Log.Errorf("%v", err)
		l.state = noProgram
		return
	}
	l.prog, l.state, l.saved, l.started = p, running, saved, time.Now()
	l.opts.Log.Emit(log.Event{Type: log.Start, PID: p.PID()})
	l.watchReady(p)
}

// watchReady runs the readiness check of p in a goroutine that ends when
// the check passes or p is stopped or exits (stopReady).
func (l *loop) watchReady(p Program) {
	if l.opts.Ready == nil {
		return
	}
	ctx, cancel := context.WithCancel(l.ctx)
	l.stopReady = cancel
	go func() {
		err := l.opts.Ready.Wait(ctx)
		select {
		case l.ready <- readyResult{prog: p, err: err}:
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
	if res.err != nil || res.prog != l.prog || l.state != running {
		return // a check of a program that is gone
	}
	l.cancelReady()
	l.opts.Log.Emit(log.Event{Type: log.Ready, PID: res.prog.PID(), Duration: time.Since(l.saved)})
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
		l.opts.Log.Emit(log.Event{Type: log.Stop, PID: l.prog.PID(), Duration: res.Duration, Killed: res.Killed, Message: res.Reason})
	}
}

// onExit reports a program that ended by itself and, if the policy says
// so, schedules its restart after a back-off.
func (l *loop) onExit() {
	l.cancelReady()
	l.state = exited
	code, sig := l.prog.Exit()
	ev := log.Event{Type: log.Exit, PID: l.prog.PID(), Signal: sig}
	if sig == "" {
		ev.Code = log.Int(code)
	}
	l.opts.Log.Emit(ev)
	if !l.opts.Restart.wants(code, sig) || l.bin == "" {
		return
	}
	d := l.backoff.delay(time.Since(l.started))
	l.opts.Log.Infof("restarting in %s after %s (run.restart = %q)", d, exitWords(code, sig), l.opts.Restart)
	l.retry = time.After(d)
}

func (l *loop) reportChange(b watcher.Batch) {
	p := paths(b)
	l.opts.Log.Emit(log.Event{Type: log.Change, Paths: p[:min(len(p), 10)], Count: len(p)})
}

func paths(b watcher.Batch) []string {
	p := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		p[i] = c.Path
	}
	return p
}
