package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// fakeBuilder counts the builds the gate asks for: the first, and any
// with changed paths, give "first"; a full build after the first gives
// "full", as the gate's build again does.
type fakeBuilder struct {
	full, changed int
}

func (f *fakeBuilder) Build(_ context.Context, changed []string) runner.BuildResult {
	if changed == nil && f.changed > 0 {
		f.full++
		return runner.BuildResult{Binary: "full", Duration: time.Second}
	}
	f.changed++
	return runner.BuildResult{Binary: "first", Duration: 2 * time.Second}
}

// walkOf returns a walk still running, and the function that ends it with
// a real watcher of a small tree that did or did not change since.
func walkOf(t *testing.T) (*walk, func(changed bool, err error)) {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wk := &walk{beside: true, done: make(chan struct{})}
	return wk, func(changed bool, err error) {
		since := time.Now().Add(time.Hour) // nothing is that new
		if changed {
			since = time.Unix(1, 0) // everything is
		}
		wk.w, wk.err = watcher.New(watcher.Options{Root: root, Since: since})
		if wk.err != nil {
			t.Fatal(wk.err)
		}
		wk.err = err
		close(wk.done)
	}
}

func newGate(wk *walk) (*walkGate, *fakeBuilder) {
	f := &fakeBuilder{}
	return &walkGate{b: f, walk: wk, log: events.New(&discard{}, events.Options{})}, f
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

func TestWalkGateHoldsTheFirstBuild(t *testing.T) {
	wk, finish := walkOf(t)
	g, f := newGate(wk)
	got := make(chan runner.BuildResult, 1)
	go func() { got <- g.Build(context.Background(), nil) }()
	select {
	case res := <-got:
		t.Fatalf("the first build's result came before the walk was done: %+v", res)
	case <-time.After(50 * time.Millisecond):
	}
	finish(false, nil)
	if res := <-got; res.Binary != "first" || f.full != 0 {
		t.Fatalf("unchanged tree: got %+v after %d full builds, want the first build's result alone", res, f.full)
	}
	// Later builds pass straight through.
	if res := g.Build(context.Background(), []string{"main.go"}); res.Binary != "first" || f.changed != 2 {
		t.Fatalf("second build: %+v", res)
	}
}

func TestWalkGateBuildsAgainAfterAChange(t *testing.T) {
	wk, finish := walkOf(t)
	g, f := newGate(wk)
	finish(true, nil)
	res := g.Build(context.Background(), nil)
	if res.Binary != "full" || f.full != 1 || res.Duration != 3*time.Second {
		t.Fatalf("after a change during the walk: %+v, %d full builds; want one full build, both durations", res, f.full)
	}
	if res := g.Build(context.Background(), nil); res.Binary != "full" || f.full != 2 {
		t.Fatalf("the gate built again twice: %+v", res)
	}
}

func TestWalkGateOnAFailedWalk(t *testing.T) {
	wk, finish := walkOf(t)
	g, _ := newGate(wk)
	finish(false, errors.New("watch: no space"))
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan runner.BuildResult, 1)
	go func() { got <- g.Build(ctx, nil) }()
	select {
	case res := <-got:
		t.Fatalf("returned before golive stopped: %+v", res)
	case <-time.After(50 * time.Millisecond):
	}
	cancel() // what the watcher's goroutine does with the error
	if res := <-got; !errors.Is(res.Err, context.Canceled) || res.Binary != "" {
		t.Fatalf("after a failed walk: %+v, want a cancelled build with no binary", res)
	}
}

func TestWalkGateStopsWaitingWhenCancelled(t *testing.T) {
	wk, finish := walkOf(t)
	defer finish(false, nil)
	g, _ := newGate(wk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := g.Build(ctx, nil); !errors.Is(res.Err, context.Canceled) || res.Binary != "" {
		t.Fatalf("cancelled during the walk: %+v", res)
	}
	if g.passed {
		t.Fatal("a cancelled wait let the gate open")
	}
}

// TestStartWalkBesideOnlyOnOneFileSystem: the walk runs beside the first
// build only where the file clock, read in golive's work directory, is
// the tree's own: on Linux, on one file system.
func TestStartWalkBesideOnlyOnOneFileSystem(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		work   string
		beside bool
	}{
		{t.TempDir(), runtime.GOOS == "linux"},
		{"/proc", false}, // another file system, with no clock of files at all
	} {
		wk := startWalk(watcher.Options{Root: root}, tt.work)
		if err := wk.wait(); err != nil {
			t.Fatal(err)
		}
		if wk.beside != tt.beside {
			t.Errorf("work directory %s: beside = %v, want %v", tt.work, wk.beside, tt.beside)
		}
		wk.w.Run(canceled(), make(chan watcher.Batch, 1)) // closes its watches
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestWalkRunStopsDuringTheWalk: a stop (Ctrl-C) while the walk still
// runs returns at once, with no error, rather than wait for the walk; the
// watches the walk then makes are closed by itself.
func TestWalkRunStopsDuringTheWalk(t *testing.T) {
	wk, finish := walkOf(t)
	out := make(chan watcher.Batch)
	if err := wk.run(canceled(), out); err != nil {
		t.Fatalf("stopped during the walk: %v", err)
	}
	finish(false, nil) // the walk ends after golive stopped waiting
}

// TestWalkRunReportsAFailedWalk: the walk's error is the watcher's.
func TestWalkRunReportsAFailedWalk(t *testing.T) {
	wk, finish := walkOf(t)
	failed := errors.New("watch: no space")
	finish(false, failed)
	if err := wk.run(context.Background(), make(chan watcher.Batch)); !errors.Is(err, failed) {
		t.Fatalf("after a failed walk: %v, want %v", err, failed)
	}
}
