package watcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// session is a Watcher running on a temp dir.
type session struct {
	t    *testing.T
	root string
	w    *Watcher
	out  chan Batch
}

// start runs a Watcher on root; cleanup cancels it and checks that Run
// returned nil and closed out, which is how Run proves it leaks nothing.
func start(t *testing.T, root string, opts Options) *session {
	t.Helper()
	opts.Root = root
	if opts.Debounce == 0 {
		opts.Debounce = 50 * time.Millisecond
	}
	if strings.HasSuffix(t.Name(), "/poll") { // TestPolled runs it
		opts.Poll, opts.PollInterval = true, testPollInterval
	}
	opts.Warn = func(err error) { t.Logf("warn: %v", err) }
	w, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if opts.Poll && (w.be.fsw != nil || w.be.poll.count() == 0) {
		t.Fatal("Poll: fsnotify is in use, or nothing is polled")
	}
	s := &session{t: t, root: root, w: w, out: make(chan Batch)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, s.out) }()
	t.Cleanup(func() {
		cancel()
		timeout := time.After(10 * time.Second)
		for open := true; open; {
			select {
			case _, open = <-s.out:
			case <-timeout:
				t.Fatal("out not closed after cancel")
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-timeout:
			t.Error("Run did not return after cancel")
		}
	})
	return s
}

func (s *session) write(rel, content string) { s.t.Helper(); write(s.t, s.root, rel, content) }

func (s *session) path(rel string) string { return filepath.Join(s.root, filepath.FromSlash(rel)) }

// next waits for the next batch.
func (s *session) next() Batch {
	s.t.Helper()
	select {
	case b := <-s.out:
		return b
	case <-time.After(10 * time.Second):
		s.t.Fatal("no batch within 10s")
		return Batch{}
	}
}

// expect waits for the next batch and checks its changes.
func (s *session) expect(want ...Change) {
	s.t.Helper()
	if b := s.next(); !reflect.DeepEqual(b.Changes, want) {
		s.t.Fatalf("batch %v, want %v", b.Changes, want)
	}
}

// until collects batches until none arrives for d.
func (s *session) until(d time.Duration) []Batch {
	var bs []Batch
	for {
		select {
		case b := <-s.out:
			bs = append(bs, b)
		case <-time.After(d):
			return bs
		}
	}
}

// none checks that no batch arrives within d.
func (s *session) none(d time.Duration) {
	s.t.Helper()
	select {
	case b := <-s.out:
		s.t.Fatalf("unexpected batch %v", b.Changes)
	case <-time.After(d):
	}
}

func TestSingleSave(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "main.go", "package main")
	s := start(t, root, Options{})
	before := time.Now()
	s.write("main.go", "package main // edited")
	b := s.next()
	if want := []Change{{"main.go", Write}}; !reflect.DeepEqual(b.Changes, want) {
		t.Fatalf("batch %v, want %v", b.Changes, want)
	}
	if b.First.Before(before) || time.Since(b.First) > 10*time.Second {
		t.Errorf("First = %v, want just after %v", b.First, before)
	}
	s.none(300 * time.Millisecond)
}

func TestAtomicSave(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "main.go", "package main")
	s := start(t, root, Options{})
	s.write("main.go___jb_tmp___", "package main // saved by rename")
	if err := os.Rename(s.path("main.go___jb_tmp___"), s.path("main.go")); err != nil {
		t.Fatal(err)
	}
	s.expect(Change{"main.go", Write})
	s.none(300 * time.Millisecond)
}

func TestUnchangedContentGivesNothing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, rel := range []string{"touched.go", "resaved.go", "control.go"} {
		write(t, root, rel, "package x // "+rel)
	}
	s := start(t, root, Options{})
	now := time.Now().Add(time.Minute)
	if err := os.Chtimes(s.path("touched.go"), now, now); err != nil {
		t.Fatal(err)
	}
	s.write("resaved.go", "package x // resaved.go")
	s.none(300 * time.Millisecond)

	// Same again in one burst with a real edit: only the edit counts.
	if err := os.Chtimes(s.path("touched.go"), now, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	s.write("resaved.go", "package x // resaved.go")
	s.write("control.go", "package x // edited")
	s.expect(Change{"control.go", Write})
	s.none(300 * time.Millisecond)
}

func TestNewDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := start(t, root, Options{})
	// The file lands before the watch on its directory can.
	if err := os.MkdirAll(s.path("internal/x/deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.write("internal/x/x.go", "package x")
	s.write("internal/x/deep/d.go", "package deep")
	// Usually one batch; two if the machine stalled between a file's
	// creation and its content, which is then a real second change.
	got := map[string]bool{}
	for _, b := range append([]Batch{s.next()}, s.until(300*time.Millisecond)...) {
		for _, c := range b.Changes {
			got[c.Path] = c.Op == Write
		}
	}
	if want := map[string]bool{"internal/x/x.go": true, "internal/x/deep/d.go": true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	// And it is watched from then on.
	s.write("internal/x/deep/e.go", "package deep")
	s.expect(Change{"internal/x/deep/e.go", Write})
}

func TestIgnoredFilesGiveNothing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, dir := range []string{".git", "node_modules/m", "testdata", ".cache", "bin"} {
		write(t, root, dir+"/old.go", "package old")
	}
	s := start(t, root, Options{Ignore: []string{filepath.Join(root, "bin")}})
	for _, rel := range []string{
		"main_test.go", ".git/x.go", "node_modules/m/x.go", "testdata/x.go", ".cache/x.go", "bin/x.go",
		".main.go.swp", ".main.go.swx", "main.go~", "4913", ".#main.go", "main.go___jb_old___",
		".newhidden/x.go", "README.md",
	} {
		s.write(rel, "package x // new")
	}
	s.write("control.go", "package x")
	s.expect(Change{"control.go", Write})
	s.none(300 * time.Millisecond)
}

func TestNewWatchesOnlyWantedDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, dir := range []string{".git/objects", "node_modules/m", "a/testdata", ".vscode", "out", "vendor/v", "a/b"} {
		write(t, root, dir+"/x.go", "package x")
	}
	w, err := New(Options{Root: root, Ignore: []string{filepath.Join(root, "out")}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if want := []string{".", "a", "a/b", "vendor", "vendor/v"}; !slices.Equal(w.tree.relDirs(), want) {
		t.Errorf("watched %v, want %v", w.tree.relDirs(), want)
	}
	if got := w.sums.under("."); len(got) != 2 {
		t.Errorf("baseline %v, want a/b/x.go and vendor/v/x.go", got)
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "old.go", "package x")
	s := start(t, root, Options{})
	if err := os.Remove(s.path("old.go")); err != nil {
		t.Fatal(err)
	}
	s.expect(Change{"old.go", Remove})

	// Created and deleted within one burst, or deleted without ever being
	// known: nothing.
	s.write("brief.go", "package x")
	if err := os.Remove(s.path("brief.go")); err != nil {
		t.Fatal(err)
	}
	s.write("control.go", "package x")
	s.expect(Change{"control.go", Write})
}

func TestDirectoryMovedAndRemoved(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "pkg/a.go", "package pkg")
	write(t, root, "pkg/sub/b.go", "package sub")
	write(t, root, "gone/c.go", "package gone")
	s := start(t, root, Options{})
	if err := os.Rename(s.path("pkg"), s.path("moved")); err != nil {
		t.Fatal(err)
	}
	s.expect(
		Change{"moved/a.go", Write}, Change{"moved/sub/b.go", Write},
		Change{"pkg/a.go", Remove}, Change{"pkg/sub/b.go", Remove},
	)
	if err := os.RemoveAll(s.path("gone")); err != nil {
		t.Fatal(err)
	}
	s.expect(Change{"gone/c.go", Remove})
	// Moving it back is a change again: the old hashes were forgotten.
	if err := os.Rename(s.path("moved/sub"), s.path("pkg2")); err != nil {
		t.Fatal(err)
	}
	s.expect(Change{"moved/sub/b.go", Remove}, Change{"pkg2/b.go", Write})
}

func TestIncludeAndExtra(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "web/index.html", "<p>")
	s := start(t, root, Options{
		Include: []string{"*.html"},
		Exclude: []string{"web/draft/**"},
		Extra:   func(rel string) bool { return strings.HasPrefix(rel, "static/") },
	})
	s.write("web/draft/x.html", "<p>")
	s.write("static/logo.svg", "<svg>")
	s.write("web/index.html", "<p>edited")
	s.expect(Change{"static/logo.svg", Write}, Change{"web/index.html", Write})
}

// Storm: a checkout rewriting 2,000 files, 500 of them Go, as fast as the
// test can, must come out as one batch. Not parallel, so that no other test
// steals the CPU in the middle of the burst. One batch is promised only while
// the gaps stay inside the quiet window, so if the machine stalled the
// writer for half a window the test settles for every Go file exactly once.
func TestStorm(t *testing.T) {
	const quiet = 20 * time.Millisecond
	root := t.TempDir()
	name := func(i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("d%d/f%04d.go", i%10, i)
		}
		return fmt.Sprintf("d%d/f%04d.txt", i%10, i)
	}
	var want []Change
	for i := range 2000 {
		write(t, root, name(i), "before")
		if i%4 == 0 {
			want = append(want, Change{name(i), Write})
		}
	}
	slices.SortFunc(want, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	s := start(t, root, Options{Debounce: quiet})
	var stall time.Duration
	last := time.Now()
	for i := range 2000 {
		s.write(name(i), "after")
		stall, last = max(stall, time.Since(last)), time.Now()
	}
	batches := append([]Batch{s.next()}, s.until(300*time.Millisecond)...)
	var got []Change
	for _, b := range batches {
		got = append(got, b.Changes...)
	}
	slices.SortFunc(got, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%d changes in %d batches, want the %d Go files once", len(got), len(batches), len(want))
	}
	if len(batches) > 1 && stall < quiet/2 {
		t.Fatalf("%d batches for one burst (longest gap between writes %v)", len(batches), stall)
	}
	if len(batches) > 1 {
		t.Logf("%d batches: the writer stalled for %v, longer than half the window", len(batches), stall)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "file", "x")
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Root: filepath.Join(root, "missing")}, "missing"},
		{Options{Root: filepath.Join(root, "file")}, "not a directory"},
		{Options{Root: root, Include: []string{"[z-"}}, `"[z-"`},
		{Options{Root: root, Exclude: []string{"a/{b"}}, `"a/{b"`},
	} {
		w, err := New(tt.opts)
		if err == nil {
			w.Close()
			t.Errorf("New(%+v) succeeded", tt.opts)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %q, want it to mention %s", tt.opts, err, tt.want)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	w, err := New(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Batch)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if _, ok := <-out; ok {
		t.Error("out not closed")
	}
}

// Close lets go of a Watcher that never ran, twice without harm, and
// ends one that runs: Run returns nil, as for a cancel, and closes out.
func TestClose(t *testing.T) {
	t.Parallel()
	idle, err := New(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	w, err := New(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Batch)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background(), out) }()
	w.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if _, ok := <-out; ok {
		t.Error("out not closed")
	}
}

// After lost events the watcher looks at everything again: every known file
// and every counted file is re-sent (the hashes then drop what did not
// change), new directories are watched and vanished ones forgotten.
func TestRescanAfterOverflow(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "a.go", "package a")
	write(t, root, "old/b.go", "package old")
	w, err := New(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.RemoveAll(filepath.Join(root, "old")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "new/c.go", "package new")
	sent := map[string]bool{}
	emit := func(rel string) error { sent[rel] = true; return nil }
	if err := w.backendError(fsnotify.ErrEventOverflow, emit); err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"a.go": true, "old/b.go": true, "new/c.go": true}; !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if want := []string{".", "new"}; !slices.Equal(w.tree.relDirs(), want) {
		t.Errorf("watched %v, want %v", w.tree.relDirs(), want)
	}
}

// TestEditThroughALink: a save in a directory the tree reaches through a
// link comes as a change under the link's name.
func TestEditThroughALink(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "app")
	write(t, root, "main.go", "package main")
	write(t, top, "shared/b.go", "package shared")
	if err := os.Symlink(filepath.Join(top, "shared"), filepath.Join(root, "shared")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	s := start(t, root, Options{})
	write(t, top, "shared/b.go", "package shared // edited")
	s.expect(Change{"shared/b.go", Write})
}
