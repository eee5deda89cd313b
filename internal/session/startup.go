package session

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// On Linux the walk that watches every directory runs beside the first
// build instead of before it: on a tree of 5,000 directories it takes
// 0.1–0.2 s, as long as a third of the build, and the machine has a
// second core. The build may then read a file that changes before its
// directory is watched, which no event would report, so two rules keep
// every binary honest:
//   - the program starts only once the walk is done, so that whatever
//     changes after its start has an event;
//   - the walk looks for changes since just before the build began
//     (watcher.Options.Since, by change times), and if it saw any, the
//     first build is done again, by go build, before the program starts.
//
// Elsewhere change times are not checked (a copy that keeps an old
// modification time would go unseen), and the walk comes first; so it
// does on Linux when the tree's file system may not share the clock of
// golive's work directory, where the file clock is read
// (fileclock.Shared: another file system, unless both are of a local
// kind and show nanoseconds): another one may stamp by another clock, or
// round times down, and a change during the build could look older than
// the build. Only the tree's root is asked; a file system mounted below
// it is taken to be like the root's.

// walk is the start-up walk, beside the first build or before it.
type walk struct {
	beside bool
	done   chan struct{}
	w      *watcher.Watcher // once done, if err is nil
	err    error
}

// startWalk starts the walk; work is golive's own directory, where the
// file clock is read.
func startWalk(opts watcher.Options, work string) *walk {
	beside := runtime.GOOS == "linux" && fileclock.Shared(opts.Root, work)
	wk := &walk{beside: beside, done: make(chan struct{})}
	if wk.beside {
		since, err := fileclock.Now(work)
		if err != nil {
			since = time.Now().Add(-fileclock.Slack)
		}
		opts.Since = since
	}
	run := func() {
		defer close(wk.done)
		wk.w, wk.err = watcher.New(opts)
		debug.FreeOSMemory() // what the walk of a large tree allocated: golive then idles for hours
	}
	if wk.beside {
		go run()
	} else {
		run()
	}
	return wk
}

func (wk *walk) wait() error {
	<-wk.done
	return wk.err
}

// watcher is the watcher once the walk made it, else nil.
func (wk *walk) watcher() *watcher.Watcher {
	if wk == nil {
		return nil
	}
	select {
	case <-wk.done:
		if wk.err == nil {
			return wk.w
		}
	default:
	}
	return nil
}

// counts reports whether the watcher counts the file rel: before the
// walk is done, or when it failed, everything does.
func (wk *walk) counts(rel string) bool {
	select {
	case <-wk.done:
	default:
		return true
	}
	return wk.err != nil || wk.w.Match(rel)
}

// run runs the watcher once the walk is done, until ctx is. A stop during
// the walk returns at once rather than wait for a walk that a slow or hung
// file system holds up (the walk cannot be cut short); the watches it
// made are closed when it ends.
func (wk *walk) run(ctx context.Context, out chan<- watcher.Batch) error {
	select {
	case <-wk.done:
	case <-ctx.Done():
		go func() {
			if wk.wait() == nil {
				wk.w.Close()
			}
		}()
		return nil
	}
	if wk.err != nil {
		return wk.err
	}
	return wk.w.Run(ctx, out)
}

// walkGate holds the first build's result until the walk is done, and
// builds again if the walk saw a change that the build may have missed.
// Builds never overlap, so passed needs no lock.
type walkGate struct {
	b      runner.Builder
	walk   *walk
	log    *events.Logger
	passed bool
}

func (g *walkGate) Build(ctx context.Context, changed []string) runner.BuildResult {
	return g.after(ctx, g.b.Build(ctx, changed))
}

// Speculate passes a speculative build on (runner.Speculator) once the
// walk is done; before that it builds as Build does, after adopt.
func (g *walkGate) Speculate(ctx context.Context, changed []string, adopt <-chan struct{}, idle chan<- struct{}) runner.BuildResult {
	sp, ok := g.b.(runner.Speculator)
	if !ok || (!g.passed && g.walk.beside) {
		close(idle)
		select {
		case <-adopt:
		case <-ctx.Done():
			return runner.BuildResult{Err: ctx.Err()}
		}
		return g.Build(ctx, changed)
	}
	return sp.Speculate(ctx, changed, adopt, idle)
}

func (g *walkGate) after(ctx context.Context, res runner.BuildResult) runner.BuildResult {
	if g.passed || !g.walk.beside {
		return res
	}
	select {
	case <-g.walk.done:
	case <-ctx.Done():
		return runner.BuildResult{Duration: res.Duration, Err: ctx.Err()}
	}
	if g.walk.err != nil {
		<-ctx.Done() // the watcher's goroutine reports the error and stops golive
		return runner.BuildResult{Duration: res.Duration, Err: ctx.Err()}
	}
	g.passed = true
	if ctx.Err() != nil || !g.walk.w.Changed() {
		return res
	}
	g.log.Infof("files changed while golive started; building again")
	again := g.b.Build(ctx, nil)
	again.Duration += res.Duration
	return again
}
