// Package graph keeps the set of files the program is built from: the
// Go files, embedded files and module files of every package the main
// package depends on that is not in the standard library or the module
// cache, wherever it lies (a replace target, a go.work module). The
// watcher counts a Go file only when the set has it (watch.mode =
// "graph"), and watches the set's directories outside the start
// directory. The set comes from one go list (Load), asked after the
// first build and after every build whose changes could have changed
// it, beside the program and off the save-to-restart path, but for a
// save that changes a package's export data before the first answer:
// that one waits for it (Importers).
package graph

import (
	"bytes"
	"cmp"
	"context"
	"go/build"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/fileclock"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// Options say whose build graph a Set follows.
type Options struct {
	Dir     string   // the start directory: paths are relative to it
	Package string   // the main package, relative to Dir
	Tags    []string // the build's tags
	Flags   []string // the build's flags: those that select files go to go list too
	Env     []string // the build's environment, for go list
	// Tree is watch.mode = "tree": every Go file under Dir counts, and
	// the set only adds the embedded files.
	Tree bool
	// Context judges build constraints as the build does (GOOS, tags);
	// nil is go/build's default.
	Context *build.Context
	Log     *events.Logger
	// Counts is the watcher's filter (watcher.Watcher.Match): a file it
	// does not count never asks for a rebuild. It is first called once the
	// set's first refresh runs.
	Counts func(rel string) bool
	// AfterStart, when set, replaces the AfterStart constant (a test
	// makes it long, to see that a save that waits has go list start at
	// once).
	AfterStart time.Duration
}

// Set is the set of files the program is built from. Has and Builds are
// read by the watcher's goroutine, Built by the loop's, and Run replaces
// the set on its own goroutine; a mutex keeps them apart.
type Set struct {
	opts    Options
	wake    chan struct{}                                                             // a build asks Run for a refresh
	watch   func(ctx context.Context, dirs []string, since time.Time) watcher.Watched // SetWatch's
	imports map[string]header                                                         // Run's own: each Go file's imports at the last load
	synced  uint64                                                                    // Run's own: the version the watcher last followed
	dirs    int                                                                       // Run's own: how many directories the watcher watches

	mu       sync.Mutex
	g        *Graph    // nil until the first load
	failed   bool      // the last build failed: count as before the first load
	failedAt time.Time // when the first of the failed builds began
	version  uint64    // changes with g or failed (Version)
	since    time.Time // when the build of the running program started
	// batches counts the builds a batch of changes caused; asked is its
	// value when the refresh last asked for a rebuild (-1: never).
	batches, asked int
	// pending holds the paths of the builds since the last refresh; full
	// says one of them was a full build, whose changes no one knows.
	pending []string
	full    bool
	// good counts the good builds Built recorded, refreshed the count the
	// last refresh covered; answer is closed when a graph comes or a
	// refresh ends (a new one waits for the next); listFailed says the
	// last go list failed. Importers waits on them for the first graph.
	good, refreshed int
	answer          chan struct{}
	listFailed      bool
	// hurry says a save waits for the first graph: go list goes at once,
	// not after AfterStart, and at golive's own priority.
	hurry chan struct{}
}

// New returns an empty set; the first build fills it.
func New(opts Options) *Set {
	return &Set{opts: opts, wake: make(chan struct{}, 1), asked: -1,
		answer: make(chan struct{}), hurry: make(chan struct{}, 1)}
}

// Built records the build whose program now starts (runner.Options.Built):
// when it started, and what caused it; or, after a failed build, that
// every Go file under Dir counts until the next good one. It does no I/O
// and never blocks, as the loop requires; Run does the rest.
func (s *Set) Built(b runner.Built) {
	if b.Failed {
		// The graph is of the last good build: the failed one may import
		// a package it lacks (new, or broken), whose fix must count.
		// Its paths join the next good build's: that one asks again.
		s.mu.Lock()
		if !s.failed {
			s.failed, s.failedAt = true, b.Started
			s.version++
		}
		s.pending = append(s.pending, b.Changed...)
		s.full = s.full || b.Changed == nil
		s.mu.Unlock()
		s.wakeRun() // the watcher watches every directory under Dir again
		return
	}
	s.mu.Lock()
	if s.failed {
		s.failed = false
		s.version++
	}
	s.since = b.Started
	s.good++
	if b.Changed != nil {
		s.batches++
		s.pending = append(s.pending, b.Changed...)
	} else {
		s.full = true
	}
	s.mu.Unlock()
	s.wakeRun()
}

func (s *Set) wakeRun() {
	select {
	case s.wake <- struct{}{}:
	default: // a refresh is already due; it takes these paths too
	}
}

// SetWatch sets what has the watcher follow the set (watcher.Dirs):
// watch dirs, the directories outside Dir that hold files of the build,
// instead of the ones before, and under Dir only those Dir wants; it
// returns what it watches once it does (nothing if ctx ends). The watcher itself reports a file of a newly watched directory
// that changed at or after since, the start of the build that read it.
// In graph mode only, and before Run; without it no directory outside
// Dir is watched, and every one under it.
func (s *Set) SetWatch(watch func(ctx context.Context, dirs []string, since time.Time) watcher.Watched) {
	s.watch = watch
}

// Has reports whether the program embeds rel (slash-separated, relative
// to Dir) or reads it otherwise, as the watcher's Extra.
func (s *Set) Has(rel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.g != nil && s.g.Has(rel)
}

// Builds reports whether a Go or module file at rel counts, as the
// watcher's Graph: one the build reads or a Go file that may join it.
// Before the first load every one under Dir counts, as in tree mode.
func (s *Set) Builds(rel string) bool {
	s.mu.Lock()
	g := s.g
	if s.failed {
		g = nil
	}
	s.mu.Unlock()
	return s.counts(g, rel)
}

// counts reports whether the watcher counts rel, its filter aside, when
// g is the graph (nil before the first load): a file go build reads by
// default as Builds says (every one under Dir in tree mode), any other
// file when g has it (embedded).
func (s *Set) counts(g *Graph, rel string) bool {
	if !watcher.BuildFile(path.Base(rel)) {
		return g != nil && g.Has(rel)
	}
	if g == nil || s.opts.Tree {
		return !strings.HasPrefix(rel, "../")
	}
	if g.Has(rel) || g.MayJoin(rel) {
		return true
	}
	// A file a constraint left out counts once an edit lets it in.
	return g.Ignored[rel] && s.constraintLetsIn(rel)
}

// constraintLetsIn reports whether the build context's constraints now
// take the Go file at rel, reading its header.
func (s *Set) constraintLetsIn(rel string) bool {
	ctx := build.Default
	if s.opts.Context != nil {
		ctx = *s.opts.Context
	}
	abs := filepath.Join(s.opts.Dir, filepath.FromSlash(rel))
	ok, err := ctx.MatchFile(filepath.Dir(abs), filepath.Base(abs))
	return err == nil && ok
}

// Importers returns the import paths of the packages outside the
// standard library that import path in the last good build's graph, and
// whether the graph is known (replay.Options.Importers). Before the
// first graph, while a refresh is due, it waits for that refresh (or
// ctx), and go list starts at once: an edit saved just after the start
// would otherwise go to go build, which loads the packages too, beside
// go list.
//
// The wait ends with go list's answer or with ctx (a newer save): a go
// list that hangs (a module download) would hang go build as well.
func (s *Set) Importers(ctx context.Context, path string) ([]string, bool) {
	for {
		s.mu.Lock()
		switch g := s.g; {
		case s.failed:
			s.mu.Unlock()
			return nil, false
		case g != nil:
			s.mu.Unlock()
			return g.Importers[path], true
		case s.good <= s.refreshed || s.listFailed || ctx.Err() != nil:
			// No refresh due, or go list fails here: go build, at once.
			s.mu.Unlock()
			return nil, false
		}
		answer := s.answer
		select {
		case s.hurry <- struct{}{}:
		default:
		}
		s.mu.Unlock()
		select {
		case <-answer:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// answered wakes whoever waits in Importers. Called with mu held.
func (s *Set) answered() {
	close(s.answer)
	s.answer = make(chan struct{})
}

// Dir reports whether the build reads files in the directory rel, as
// the watcher's Graph; before the first load every directory may.
func (s *Set) Dir(rel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.g == nil || s.failed || s.g.Dir(rel)
}

// Version changes whenever what Dir answers may have (watcher.Graph); 0
// until the first go list has answered, well or not.
func (s *Set) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Why says why the graph does not count rel, for the -v line of an
// ignored path.
func (s *Set) Why(rel string) string {
	if strings.HasSuffix(rel, "_test.go") {
		return "a test file"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.g != nil && s.g.Ignored[rel] {
		return "left out of the build by a build constraint"
	}
	return "not in the build of " + s.opts.Package + ": it imports no package there"
}

// AfterStart is how long go list waits after a build, so that the
// program it made starts without it: the stop and start take 10–30 ms,
// and a program's own start-up more. (The builder's dry run does not
// wait: the next edit replays only once it is done.) Measured in
// docs/benchmarks.md.
const AfterStart = 250 * time.Millisecond

// Run refreshes the set after each build that Built records whose changes
// could have changed it (mayChange): the first, a full one, or one whose
// changes hold a module file, or a .go file that is new, gone, or has an
// import block or a //go:embed line of its own. After each go list it
// tells loaded (go list's output is garbage now), and when a
// file it learns changed during the build it asks the loop for a rebuild
// on requests: that wait is here, never in the loop. It returns when ctx
// is done, killing the go list it may be running.
func (s *Set) Run(ctx context.Context, requests chan<- runner.Request, loaded chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		why, reloaded := s.refresh(ctx)
		if reloaded {
			select {
			case loaded <- struct{}{}:
			default:
			}
		}
		if why == "" {
			continue
		}
		select {
		case requests <- runner.Request{Why: why}:
		case <-ctx.Done():
			return
		}
	}
}

// refresh is one round of Run: it reloads the set if the builds since the
// last round may have changed it (and reports that it did), or has the
// watcher follow it as it is, and says why the program must be built
// again, or returns "". However it ends, it wakes whoever waits for it
// (Importers).
func (s *Set) refresh(ctx context.Context) (why string, reloaded bool) {
	s.mu.Lock()
	failed, changed, full, good := s.failed, s.pending, s.full, s.good
	if !failed { // a failed build's paths wait for the next good one
		s.pending, s.full = nil, false
	}
	s.mu.Unlock()
	defer func() { s.refreshEnds(good) }()
	if failed || (!full && !s.mayChange(changed)) {
		s.follow(ctx) // wider after a failure, narrow again after the next good build
		return "", false
	}
	// The new program starts first: go list beside its start-up, on a
	// machine of two cores, delays its first answer. Files that change
	// meanwhile are reported when their directories are first watched
	// (load), as those that changed during the build are.
	hurried := false
	select {
	case <-ctx.Done():
		return "", false
	case <-time.After(cmp.Or(s.opts.AfterStart, AfterStart)):
	case <-s.hurry:
		hurried = true
	}
	// A build that failed meanwhile keeps the set, as above, and these
	// changes wait with its own for the next good build; one that
	// succeeded adds its changes to this refresh.
	s.mu.Lock()
	if s.failed {
		s.pending, s.full = append(changed, s.pending...), s.full || full
		s.mu.Unlock()
		s.follow(ctx)
		return "", false
	}
	changed = append(changed, s.pending...)
	s.pending, s.full = nil, false
	good = s.good
	s.mu.Unlock()
	return s.load(ctx, changed, hurried), true
}

// refreshEnds records that a round of Run covered the first good builds
// (with a go list, or with none due, or golive stopping) and wakes
// whoever waits for it (Importers).
func (s *Set) refreshEnds(good int) {
	s.mu.Lock()
	select {
	case <-s.hurry: // asked of this refresh: Importers sends it under mu
	default:
	}
	s.refreshed = max(s.refreshed, good)
	s.answered()
	s.mu.Unlock()
}

// load replaces the set with go list's answer and says why the program
// must be built again, or returns "".
//
// A file the set did not count before was not watched while the running
// program was built: if it changed after that build began, the program
// may embed it as it was, and no event will say so. The same goes for a
// file removed from, or added late to, a directory that is new to the
// set, which its directory's times show. Then load asks for a rebuild,
// unless the watcher's filter would not count the file (an exclude
// pattern: the program may write it), or load already asked since the
// last build that a batch of changes caused: a file that is new again
// after the rebuild it asked for is written by something that runs (the
// program, a generator), and building again would only start it again.
func (s *Set) load(ctx context.Context, changed []string, hurried bool) string {
	s.mu.Lock()
	old := s.g
	s.mu.Unlock()
	// The import blocks are read before go list reads the files: a save
	// between the two then shows as a change of imports, and the next
	// build asks again, where reading them after could record the new
	// imports against a graph go list made of the old file.
	imports := readImports(s.opts.Dir, old, changed)
	started := time.Now()
	g, err := load(ctx, !hurried, s.opts.Dir, s.opts.Package, s.opts.Tags, s.opts.Flags, s.opts.Env)
	if err != nil {
		if ctx.Err() == nil {
			s.opts.Log.Errorf("%v; watching the files of the last good build", err)
		}
		s.mu.Lock()
		s.version++ // answered, if only with the last set (or none: everything counts)
		s.listFailed = true
		s.mu.Unlock()
		return ""
	}
	s.imports = settle(s.opts.Dir, g, imports, started)
	s.mu.Lock()
	failed := s.failed // a build that failed while go list ran counts too
	s.mu.Unlock()
	// Learned: what the watcher did not count with the old graph. A file
	// it counted was watched all along.
	var learned, learnedDirs []string
	for f := range g.Files {
		if failed && watcher.BuildFile(path.Base(f)) && !strings.HasPrefix(f, "../") {
			// Since the build failed the watcher has counted every Go file
			// under Dir, and reported what changed since it began: a
			// rebuild asked for here would be a second one.
			continue
		}
		if !s.counts(old, f) {
			learned = append(learned, f)
		}
	}
	s.mu.Lock()
	for _, d := range g.EmbedDirs {
		if old == nil || !old.Has(d) {
			learnedDirs = append(learnedDirs, d)
		}
	}
	s.g = g
	s.version++
	s.listFailed = false
	s.answered() // a save waiting for the graph goes on now, not after the watcher follows it
	since := s.since
	s.mu.Unlock()
	// The watcher itself reports what changed since the build began in a
	// directory it watches from now on (watcher.Dirs); the other learned
	// files are checked below.
	dirs := s.dirs
	if ws, ok := s.follow(ctx); ok {
		learned = slices.DeleteFunc(learned, func(f string) bool {
			return slices.Contains(ws.Added, filepath.Dir(filepath.Join(s.opts.Dir, filepath.FromSlash(f))))
		})
	}
	// Said once the files are watched, so that a save after it is seen.
	if old == nil || len(old.Files) != len(g.Files) || old.Embedded != g.Embedded || !slices.Equal(old.Outside, g.Outside) || dirs != s.dirs {
		s.opts.Log.Emit(events.Event{Type: events.Watching, Count: len(g.Files), Embedded: g.Embedded, Outside: g.outsideFiles(), Dirs: s.dirs})
	}
	if counts := s.opts.Counts; counts != nil {
		learned = slices.DeleteFunc(learned, func(f string) bool { return !counts(f) })
		// A directory, only if the watcher counts a file of it.
		learnedDirs = slices.DeleteFunc(learnedDirs, func(d string) bool {
			for f := range g.Files {
				if strings.HasPrefix(f, d) && counts(f) {
					return false
				}
			}
			return true
		})
	}
	f := changedDuring(s.opts.Dir, learned, learnedDirs, since)
	if f == "" {
		return ""
	}
	s.mu.Lock()
	again := s.asked == s.batches
	s.asked = s.batches
	s.mu.Unlock()
	if again {
		s.opts.Log.Warnf("%s changed again while the program was built, after the rebuild golive asked for: something that runs writes it (exclude it with watch.exclude); not building again until the next change", f)
		return ""
	}
	return f + " changed while the program was built; building again"
}

// follow has the watcher follow the set if it changed since it last
// did, and returns what the watcher watches, and whether it asked. After
// a failed build the watcher takes every directory under Dir again (Dir
// says so), and reports what changed since that build began.
func (s *Set) follow(ctx context.Context) (watcher.Watched, bool) {
	s.mu.Lock()
	v, g, since := s.version, s.g, s.since
	if s.failed {
		since = s.failedAt
	}
	s.mu.Unlock()
	if s.watch == nil || v == s.synced {
		return watcher.Watched{}, false
	}
	s.synced = v
	var outside []string
	if g != nil {
		outside = g.Outside
	}
	ws := s.watch(ctx, outside, since)
	s.dirs = ws.Dirs
	return ws, true
}

// changedDuring returns one of files (slash paths under root), or of
// their directories inside one of dirs (embedded directories, with a
// trailing "/"), that changed at or after since (fileclock.ChangedSince),
// allowing for file times that lag the clock. A directory changes when an
// entry is added, removed or renamed.
func changedDuring(root string, files, dirs []string, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	since = since.Add(-fileclock.Slack)
	changed := func(rel string) bool {
		return fileclock.ChangedSince(filepath.Join(root, filepath.FromSlash(rel)), since)
	}
	checked := map[string]bool{}
	for _, d := range dirs {
		if changed(d) {
			return d
		}
		checked[d] = true
	}
	for _, f := range files {
		if changed(f) {
			return f
		}
		for _, d := range dirs {
			if !strings.HasPrefix(f, d) {
				continue
			}
			for dir := path.Dir(f) + "/"; len(dir) > len(d) && !checked[dir]; dir = path.Dir(strings.TrimSuffix(dir, "/")) + "/" {
				checked[dir] = true
				if changed(dir) {
					return dir
				}
			}
		}
	}
	return ""
}

// mayChange reports whether a build of changed can have changed the
// graph: a module file among them, or a .go file that is new to the
// graph, is gone, imports other packages than at the last load, or
// holds a //go:embed line. Only the changed files are read.
func (s *Set) mayChange(changed []string) bool {
	s.mu.Lock()
	g := s.g
	s.mu.Unlock()
	if g == nil {
		return true
	}
	for _, p := range changed {
		switch path.Base(p) {
		case "go.mod", "go.sum", "go.work", "go.work.sum":
			return true
		}
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.opts.Dir, filepath.FromSlash(p)))
		if err != nil || !g.Files[p] || bytes.Contains(data, []byte("//go:embed")) {
			return true
		}
		if h, ok := s.imports[p]; !ok || imports(data) != h.imports {
			return true
		}
	}
	return false
}
