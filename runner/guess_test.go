package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/watcher"
)

// fakeSpeculator is a fakeBuilder that also speculates: each guess
// waits for its adoption, then builds as a fakeBuilder's Build does (the
// test finishes it through builder.calls).
type fakeSpeculator struct {
	*fakeBuilder
	guesses chan *fakeGuess
	idle    bool // a guess says it can do nothing before its adoption
}

type fakeGuess struct {
	changed   []string
	cancelled chan struct{} // closed when it was dropped before its adoption
}

func (s *fakeSpeculator) Speculate(ctx context.Context, changed []string, adopt <-chan struct{}, idle chan<- struct{}) BuildResult {
	g := &fakeGuess{changed: changed, cancelled: make(chan struct{})}
	if s.idle {
		close(idle) // before the test hears of the guess
	}
	select {
	case s.guesses <- g:
	case <-ctx.Done():
		return BuildResult{Err: ctx.Err()}
	}
	select {
	case <-adopt:
		return s.Build(ctx, changed)
	case <-ctx.Done():
		close(g.cancelled)
		return BuildResult{Err: ctx.Err()}
	}
}

func (h *harness) send(b watcher.Batch) { h.batches <- b }

func batchOf(guess uint64, tentative bool, paths ...string) watcher.Batch {
	b := watcher.Batch{First: time.Now(), Guess: guess, Tentative: tentative}
	for _, p := range paths {
		b.Changes = append(b.Changes, watcher.Change{Path: p})
	}
	return b
}

// TestRunnerAdoptsItsGuess: a tentative batch starts a speculative build
// and says nothing; the batch that ends the burst and names the guess
// makes it the build (its build_start dated when it began), with no
// second build. A batch naming no guess drops it for a build of its own,
// and a withdrawal drops it for nothing.
func TestRunnerAdoptsItsGuess(t *testing.T) {
	t.Parallel()
	sp := &fakeSpeculator{guesses: make(chan *fakeGuess, 1)}
	h := startRunnerWith(t, func(o *Options) {
		sp.fakeBuilder = o.Builder.(*fakeBuilder)
		o.Builder = sp
	})
	h.buildAndStart(t, "bin1")

	h.send(batchOf(1, true, "main.go"))
	g := <-sp.guesses
	began := time.Now()
	h.send(batchOf(1, false, "main.go"))
	h.events.Next(t, events.Change)
	if ev := h.events.Next(t, events.BuildStart); ev.Time.After(began) {
		t.Errorf("build_start dated %v, after the guess began (%v)", ev.Time, began)
	}
	adopted := h.build(t) // the guess's, once adopted
	if len(adopted.changed) != 1 || adopted.changed[0] != g.changed[0] {
		t.Fatalf("the adopted build is for %v, want the guess's %v", adopted.changed, g.changed)
	}
	h.restartAfter(t, adopted, BuildResult{Binary: "bin2", Replayed: true})
	select {
	case b := <-h.builder.calls:
		t.Fatalf("a second build beside the adopted guess: %+v", b)
	default:
	}

	h.send(batchOf(2, true, "main.go"))
	g = <-sp.guesses
	h.send(batchOf(0, false, "main.go")) // an event came after the guess
	<-g.cancelled
	h.events.Next(t, events.Change)
	h.events.Next(t, events.BuildStart)
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin3"})

	h.send(batchOf(3, true, "main.go"))
	g = <-sp.guesses
	h.send(watcher.Batch{Tentative: true}) // the burst changed nothing
	<-g.cancelled
	select {
	case ev := <-h.events.C():
		t.Fatalf("event %+v after a withdrawn guess, want none", ev)
	case <-time.After(50 * time.Millisecond):
	}
	if got := h.starter.snapshot(); len(got) != 3 || got[1] != "bin2" || got[2] != "bin3" {
		t.Fatalf("started %v, want bin1, bin2 (the adopted guess), bin3", got)
	}
}

// TestRunnerDatesAnIdleGuessAtItsAdoption: a guess that could do nothing
// before its adoption (no replay served) began no build at the guess: its
// build_start is dated at the adoption.
func TestRunnerDatesAnIdleGuessAtItsAdoption(t *testing.T) {
	t.Parallel()
	sp := &fakeSpeculator{guesses: make(chan *fakeGuess, 1), idle: true}
	h := startRunnerWith(t, func(o *Options) {
		sp.fakeBuilder = o.Builder.(*fakeBuilder)
		o.Builder = sp
	})
	h.buildAndStart(t, "bin1")

	h.send(batchOf(1, true, "main.go"))
	<-sp.guesses // idle is closed
	adopting := time.Now()
	h.send(batchOf(1, false, "main.go"))
	h.events.Next(t, events.Change)
	if ev := h.events.Next(t, events.BuildStart); ev.Time.Before(adopting) {
		t.Errorf("build_start dated %v, before the adoption (%v): the idle guess began nothing", ev.Time, adopting)
	}
	h.restartAfter(t, h.build(t), BuildResult{Binary: "bin2"})
}

// TestRunnerGuessCoversAReloadsEdits: after an in-process reload, a guess
// is for the reload's paths too, as the build it stands for would be.
func TestRunnerGuessCoversAReloadsEdits(t *testing.T) {
	t.Parallel()
	rl := &fakeReloader{results: make(chan ReloadResult, 1)}
	sp := &fakeSpeculator{guesses: make(chan *fakeGuess, 1)}
	h := startRunnerWith(t, func(o *Options) {
		sp.fakeBuilder = o.Builder.(*fakeBuilder)
		o.Builder, o.Reloader, o.MaxReloads = sp, rl, 5
	})
	h.buildAndStart(t, "bin1")
	h.reloadOnce(t, rl)

	h.send(batchOf(1, true, "main.go"))
	if g := <-sp.guesses; strings.Join(g.changed, ",") != "main.go,plug/a.go" {
		t.Fatalf("the guess after a reload is for %q, want main.go and the reload's plug/a.go", g.changed)
	}
}
