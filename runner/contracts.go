package runner

import (
	"context"
	"time"

	"github.com/golive-dev/golive/internal/events"
)

// The loop's seams. Every method the loop calls is declared here, with
// the types it passes; the build, supervision, readiness and in-process
// reload packages implement them, and the loop's tests use fakes.

// Builder builds the program. A cancelled context must stop the build
// before Build returns.
type Builder interface {
	// Build builds after an edit of changed (slash-separated paths
	// relative to the start directory), which a builder may use to build
	// faster; nil asks for a full build.
	Build(ctx context.Context, changed []string) BuildResult
}

// Speculator is a Builder that can start on a tentative batch
// (watcher.Batch.Tentative), before the quiet window ends: the loop
// closes adopt when the batch that ends the burst names that guess, and
// cancels ctx when it does not. Before adopt, Speculate may only do what
// a cancel leaves no trace of (a replay's compiles); it places the
// binary, or runs go build, after. It closes idle when it has found that
// it can do nothing before adopt: its build's work then begins at the
// adoption, and so does its Duration. (A replay that fails just as the
// guess is adopted may leave build_start dated at the guess and Duration
// counted from the adoption: they then differ by up to the quiet window.)
type Speculator interface {
	Speculate(ctx context.Context, changed []string, adopt <-chan struct{}, idle chan<- struct{}) BuildResult
}

// BuildResult is the outcome of one build. Err is set when golive could
// not run the build at all; a compile error is Failed with Diagnostics.
type BuildResult struct {
	Binary      string // the new binary, in place for the next start
	Failed      bool
	Diagnostics []events.Diagnostic
	Output      string // what the build printed that is not a diagnostic
	Duration    time.Duration
	Replayed    bool // built by a replay of the compiler and linker, not go build
	Err         error
}

// Starter starts the program from a binary. Its methods are called from
// the loop's goroutine only.
type Starter interface {
	// Check prepares the next start before the old program is stopped
	// (an env file is read), so that a start that cannot work leaves the
	// old program running.
	Check() error
	Start(bin string) (Program, error)
	// Prepare may do ahead of time what the next start needs (the
	// keeper's own start-up), and does nothing when that is done: the
	// loop calls it when a program build starts, and once the program is
	// ready, or, with no readiness check, PrepareAfter after the start
	// unless a build runs, so that the work is done beside the build or
	// in a quiet moment, not between the stop and the start. Check may
	// do it too.
	Prepare()
}

// Program is one running instance of the program.
type Program interface {
	PID() int
	Done() <-chan struct{}
	// Exit returns the exit code, or the signal's name; call it once Done
	// is closed.
	Exit() (code int, signal string)
	// Stop stops the program's whole tree and returns once nothing of it
	// is left; a close of force kills at once.
	Stop(force <-chan struct{}) StopResult
}

// InPlace is a Program that can run a new binary without being stopped:
// a debugger restarts its target in place, keeping its clients and their
// breakpoints. The loop tries it before a stop and start, and falls back
// to those when it fails.
type InPlace interface {
	// Replace runs bin, which is at the path the program was started
	// from, in the program's place.
	Replace(bin string) ReplaceResult
}

// ReplaceResult says how an in-place restart went.
type ReplaceResult struct {
	Duration  time.Duration
	Discarded []events.Breakpoint // breakpoints the new binary has no place for
	Note      string              // said before the restart (it was stopped at a breakpoint)
	Err       error               // it did not happen: the loop stops and starts instead
}

// StopResult says how a stop went.
type StopResult struct {
	Duration time.Duration
	Killed   bool   // the tree had to be killed
	Reason   string // why, when Killed
}

// Readiness is the check that a freshly started program serves.
type Readiness interface {
	// Wait returns nil once the program is ready, ctx's error when ctx
	// ends first, and an error that says why when it gives up.
	Wait(ctx context.Context) error
	// WaitPortFree waits up to limit for the old program's address to
	// stop answering, and reports whether it did.
	WaitPortFree(limit time.Duration) bool
	// String is the address checked, for messages.
	String() string
}

// Reloader builds plugin code and loads it into the running program.
type Reloader interface {
	// Covers reports whether every path lies in a plugin tree.
	Covers(changed []string) bool
	// Reload builds the trees the paths touch and has the program with
	// the given pid load them. A compile error is Build.Failed; a program
	// that could not load the build is Err, and golive restarts instead.
	Reload(ctx context.Context, changed []string, pid int) ReloadResult
}

// ReloadResult is the outcome of one in-process reload.
type ReloadResult struct {
	Build   BuildResult   // the plugin build
	Package string        // what was reloaded
	Load    time.Duration // the program's load and swap: Open + Swap
	Open    time.Duration // plugin.Open in the program, which runs the plugin's init
	Swap    time.Duration // looking up and checking the symbols, and the switch
	Err     error         // the program did not load it
}

// Request is a control message to the loop from outside the watcher: build
// and restart now. Why, when set, is logged as the reason.
type Request struct {
	Why string
}

// Built tells of a successful build whose program now starts, of a
// plugin build the running program loaded (Reload), or of a build that
// failed to compile (Failed: nothing new runs).
type Built struct {
	Changed []string  // the paths that caused it; nil for a full build
	Started time.Time // when the build began
	Reload  bool      // an in-process reload: the program did not restart
	Failed  bool      // the build failed; its files may hold what the next one reads
}

// ReportBuild emits the end of a build as events do: build_ok, or
// build_failed with its diagnostics, or with golive's own error as the
// output when the build could not run, so that every build_start ends in
// one of the two (editors wait for them). It reports whether the build
// succeeded. The loop and `golive build` both report through it.
func ReportBuild(log *events.Logger, res BuildResult) bool {
	switch {
	case res.Err != nil:
		log.Emit(events.Event{Type: events.BuildFailed, Duration: res.Duration, Output: res.Err.Error()})
		return false
	case res.Failed:
		log.Emit(events.Event{Type: events.BuildFailed, Duration: res.Duration, Diagnostics: res.Diagnostics, Output: res.Output})
		return false
	}
	log.Emit(events.Event{Type: events.BuildOK, Duration: res.Duration, Replayed: res.Replayed})
	return true
}
