package watcher

import (
	"github.com/golive-dev/golive/internal/fileclock"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGraph is a build graph that reads the files it lists.
type fakeGraph struct {
	mu      sync.Mutex
	files   map[string]bool
	version uint64
	wide    bool // as after a failed build: every Go file under the root counts
}

func (g *fakeGraph) Version() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.version
}

func (g *fakeGraph) Builds(rel string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.files[rel] || (g.wide && !strings.HasPrefix(rel, "../"))
}

func (g *fakeGraph) Why(rel string) string { return "not in the build of " + path.Base(rel) }

func (g *fakeGraph) Dir(rel string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for f := range g.files {
		if d := path.Dir(f); d == rel || strings.HasPrefix(d, rel+"/") {
			return true
		}
	}
	return g.wide
}

func (g *fakeGraph) setWide(wide bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wide = wide
	g.version++
}

func (g *fakeGraph) set(files ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.files = map[string]bool{}
	g.version++
	for _, f := range files {
		g.files[f] = true
	}
}

// ignoredLog records what Ignored hears.
type ignoredLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *ignoredLog) add(rel, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, rel+": "+why)
}

func (l *ignoredLog) has(want string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if line == want {
			return true
		}
	}
	return false
}

// TestGraphMode: the build graph decides the Go files: one it reads
// counts, an unrelated package's does not (Ignored says why); a directory
// outside the root that the graph names is watched, its files reported
// with "../", and dropped again when the graph no longer names it.
func TestGraphMode(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "app")
	write(t, root, "main.go", "package main")
	write(t, root, "unused/u.go", "package unused")
	write(t, root, "page.html", "<p>")
	write(t, top, "lib/lib.go", "package lib")
	g := &fakeGraph{}
	g.set("main.go", "../lib/lib.go")
	outside := make(chan Dirs, 1)
	ignored := &ignoredLog{}
	s := start(t, root, Options{Graph: g, Outside: outside, Ignored: ignored.add, Include: []string{"*.html"}})

	s.write("unused/u.go", "package unused // edited")
	s.write("main.go", "package main // edited")
	s.expect(Change{"main.go", Write})
	if !ignored.has("unused/u.go: not in the build of u.go") {
		t.Errorf("Ignored heard %v, want unused/u.go with the graph's reason", ignored.lines)
	}
	s.write("page.html", "<p>edited") // watch.include adds to the graph
	s.expect(Change{"page.html", Write})

	watched := make(chan Watched, 1)
	outside <- Dirs{List: []string{filepath.Join(top, "lib")}, Done: watched}
	<-watched
	write(t, top, "lib/lib.go", "package lib // edited")
	s.expect(Change{"../lib/lib.go", Write})
	write(t, top, "lib/other.go", "package lib") // in the directory, not in the graph
	s.none(300 * time.Millisecond)
	if !ignored.has("../lib/other.go: outside the start directory, and not read by the build") {
		t.Errorf("Ignored heard %v, want ../lib/other.go", ignored.lines)
	}

	dropped := make(chan Watched, 1)
	outside <- Dirs{Done: dropped}
	<-dropped
	g.set("main.go")
	write(t, top, "lib/lib.go", "package lib // no longer watched")
	s.none(300 * time.Millisecond)
}

// TestVerdicts: why a path does not count, in tree and graph mode.
func TestVerdicts(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tree, err := newMatcher(root, Options{Exclude: []string{"gen/**"}})
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGraph{}
	g.set("main.go", "../lib/lib.go")
	graph, err := newMatcher(root, Options{Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m         *matcher
		rel, why  string
		wantCount bool
	}{
		{tree, "x/y.go", "", true},
		{tree, "x/y_test.go", "a test file", false},
		{tree, "gen/a.go", "excluded by watch.exclude", false},
		{tree, ".git/HEAD", "under a directory golive never watches (hidden, version control, node_modules, testdata, golive's own)", false},
		{tree, "main.go.swp", "an editor's temporary file", false},
		{tree, "notes.txt", "not a file the build reads (watch.include adds more)", false},
		{tree, "../lib/lib.go", "outside the start directory, and not read by the build", false},
		{graph, "main.go", "", true},
		{graph, "../lib/lib.go", "", true},
		{graph, "x/y.go", "not in the build of y.go", false},
		{graph, "go.mod", "not in the build of go.mod", false},
	} {
		if ok, why := c.m.verdict(c.rel); ok != c.wantCount || why != c.why {
			t.Errorf("verdict(%s) = %v %q, want %v %q", c.rel, ok, why, c.wantCount, c.why)
		}
	}
}

// TestOutsideChangedSince: a file of a directory the graph names from
// now on, changed after the build that read it began but before the
// watch, is reported (no event could say so); one older than that is
// only recorded.
func TestOutsideChangedSince(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "app")
	write(t, root, "main.go", "package main")
	write(t, top, "old/old.go", "package old")
	g := &fakeGraph{}
	g.set("main.go", "../lib/lib.go", "../old/old.go")
	outside := make(chan Dirs)
	s := start(t, root, Options{Graph: g, Outside: outside})
	since, err := fileclock.Now(top)
	if err != nil {
		t.Fatal(err)
	}
	since = since.Add(fileclock.Slack) // old.go is older than the build, slack and all
	write(t, top, "lib/lib.go", "package lib // saved during the build")
	watched := make(chan Watched, 1)
	outside <- Dirs{List: []string{filepath.Join(top, "lib"), filepath.Join(top, "old")}, Since: since, Done: watched}
	<-watched
	s.expect(Change{"../lib/lib.go", Write})
	s.none(300 * time.Millisecond)
}

// TestGraphNarrows: once the graph answers, only the directories it
// reads (and those above them) stay watched: a file saved elsewhere is
// not even seen. A directory the graph names later is watched, and a
// file of it saved since the build began is reported; after a failed
// build every directory is watched again, so a new package created
// anywhere counts.
func TestGraphNarrows(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "main.go", "package main")
	write(t, root, "pkg/a/a.go", "package a")
	write(t, root, "other/x/x.go", "package x")
	write(t, root, "conf/dev.env", "A=1")
	g := &fakeGraph{}
	g.set("main.go", "pkg/a/a.go")
	graphs := make(chan Dirs)
	ignored := &ignoredLog{}
	s := start(t, root, Options{Graph: g, Outside: graphs, Ignored: ignored.add,
		Extra: func(rel string) bool { return rel == "conf/dev.env" }, ExtraDirs: []string{"conf"}})
	follow := func(since time.Time) Watched {
		done := make(chan Watched, 1)
		graphs <- Dirs{Since: since, Done: done}
		return <-done
	}
	// The root, pkg, pkg/a and conf (the env file's): not other nor other/x.
	if ws := follow(time.Time{}); len(ws.Added) != 0 || ws.Dirs != 4 {
		t.Errorf("the first answer: %+v, want 4 directories watched and none added (the walk watched everything)", ws)
	}
	s.write("conf/dev.env", "A=2")
	s.expect(Change{"conf/dev.env", Write})
	s.write("other/x/x.go", "package x // edited")
	s.write("pkg/a/a.go", "package a // edited")
	s.expect(Change{"pkg/a/a.go", Write})
	if ignored.has("other/x/x.go: not in the build of x.go") {
		t.Errorf("other/x is still watched: Ignored heard %v", ignored.lines)
	}

	since := time.Now().Add(-time.Second)
	s.write("other/x/x.go", "package x // saved during the build that imports it")
	g.set("main.go", "pkg/a/a.go", "other/x/x.go")
	ws := follow(since)
	for _, d := range []string{"other", "other/x"} {
		if !slices.Contains(ws.Added, filepath.Join(root, d)) {
			t.Errorf("added %v, want %s among them", ws.Added, d)
		}
	}
	s.expect(Change{"other/x/x.go", Write})

	g.setWide(true)
	follow(time.Now())
	s.write("new/pkg/p.go", "package pkg")
	s.expect(Change{"new/pkg/p.go", Write})
	g.setWide(false)
	follow(time.Now())
	s.write("new/pkg/p.go", "package pkg // edited")
	s.none(300 * time.Millisecond)
}
