// Package runner turns batches of changed files into a running program:
// it builds with go build (cancelling a build that a newer batch made
// stale), swaps the binary by an atomic rename, and stops the old process
// tree before it starts the new one. One goroutine, Run's, owns all of
// that state; builds and process waits report back to it over channels.
package runner

import (
	"context"
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

// ProcessStarter starts real processes with fixed options.
type ProcessStarter struct{ Opts RunOptions }

// Start implements Starter.
func (s ProcessStarter) Start(bin string) (Program, error) {
	return StartProcess(bin, s.Opts)
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
	build *build
	prog  Program
	state progState
}

// Run builds and starts the program, then rebuilds and restarts it for
// every batch, until ctx is done. It then stops the program tree and
// returns once nothing of it is left.
func (r *Runner) Run(ctx context.Context, batches <-chan watcher.Batch) error {
	l := &loop{Runner: r}
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
			l.reportChange(b)
			l.cancelBuild()
			l.startBuild(ctx, b.First, paths(b))
		case <-r.opts.Rebuild:
			l.cancelBuild()
			l.startBuild(ctx, time.Now(), nil)
		case res := <-l.buildDone():
			changed := l.build.changed
			l.build = nil
			if l.finishBuild(res) && r.opts.Built != nil {
				r.opts.Built(changed)
			}
		case <-l.progDone():
			l.reportExit()
		}
	}
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
func (l *loop) finishBuild(res BuildResult) bool {
	switch {
	case res.Err != nil:
		l.opts.Log.Errorf("build: %v", res.Err)
		return false
	case res.Failed:
		l.opts.Log.Emit(log.Event{Type: log.BuildFailed, Duration: res.Duration, Diagnostics: res.Diagnostics, Output: res.Output})
		return false
	}
	l.opts.Log.Emit(log.Event{Type: log.BuildOK, Duration: res.Duration})
	l.restart(res.Binary)
	return true
}

// restart stops the old program, if one runs, and starts the new binary.
// The old program served until now: the new binary is already in place.
func (l *loop) restart(bin string) {
	l.stopProgram()
	p, err := l.opts.Starter.Start(bin)
	if err != nil {
		l.opts.Log.Errorf("%v", err)
		l.state = noProgram
		return
	}
	l.prog, l.state = p, running
	l.opts.Log.Emit(log.Event{Type: log.Start, PID: p.PID()})
}

// stopProgram stops the running program with its tree. A program that
// exited by itself may have left processes of its group behind; they are
// stopped too, so nothing of it outlives the next start.
func (l *loop) stopProgram() {
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

func (l *loop) reportExit() {
	l.state = exited
	code, sig := l.prog.Exit()
	ev := log.Event{Type: log.Exit, PID: l.prog.PID(), Signal: sig}
	if sig == "" {
		ev.Code = log.Int(code)
	}
	l.opts.Log.Emit(ev)
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
