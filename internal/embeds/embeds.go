// Package embeds keeps the set of files the program embeds with
// //go:embed, so that an edit of one rebuilds though the watcher's
// patterns do not name it. The set comes from go list (Files), asked
// after the first build and after every build whose changes could have
// changed it, beside the program and never on the save-to-restart path.
package embeds

import (
	"bytes"
	"context"
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
)

// Options say whose embedded files a Set follows.
type Options struct {
	Dir     string   // the start directory: paths are relative to it
	Package string   // the main package, relative to Dir
	Tags    []string // the build's tags
	Env     []string // the build's environment, for go list
	Log     *events.Logger
	// Counts is the watcher's filter (watcher.Watcher.Match): a file it
	// does not count never asks for a rebuild. It is first called once the
	// set's first refresh runs.
	Counts func(rel string) bool
}

// Set is the set of files the program embeds. Has is read by the
// watcher's goroutine, Built by the loop's, and Run replaces the set on
// its own goroutine; a mutex keeps them apart.
type Set struct {
	opts Options
	wake chan struct{} // a build asks Run for a refresh

	mu    sync.Mutex
	files map[string]bool
	dirs  []string  // embedded directories, with a trailing "/"
	since time.Time // when the build of the running program started
	// batches counts the builds a batch of changes caused; asked is its
	// value when the refresh last asked for a rebuild (-1: never).
	batches, asked int
	// pending holds the paths of the builds since the last refresh; full
	// says one of them was a full build, whose changes no one knows.
	pending []string
	full    bool
}

// New returns an empty set; the first build fills it.
func New(opts Options) *Set {
	return &Set{opts: opts, wake: make(chan struct{}, 1), asked: -1}
}

// Built records the build whose program now starts (runner.Options.Built):
// when it started, and what caused it. It does no I/O and never blocks,
// as the loop requires; Run does the rest.
func (s *Set) Built(b runner.Built) {
	s.mu.Lock()
	s.since = b.Started
	if b.Changed != nil {
		s.batches++
		s.pending = append(s.pending, b.Changed...)
	} else {
		s.full = true
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a refresh is already due; it takes these paths too
	}
}

// Has reports whether the program embeds rel (slash-separated, relative
// to Dir), as the watcher's Extra.
func (s *Set) Has(rel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hasLocked(rel)
}

func (s *Set) hasLocked(rel string) bool {
	if s.files[rel] {
		return true
	}
	for _, dir := range s.dirs {
		if strings.HasPrefix(rel, dir) {
			return true
		}
	}
	return false
}

// Run refreshes the set after each build that Built records whose changes
// could have changed it: the first, a full one, or one whose changes hold
// a .go file with a //go:embed line or one that is gone. After each
// refresh it tells loaded (go list's output is garbage now), and when a
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
		s.mu.Lock()
		changed, full := s.pending, s.full
		s.pending, s.full = nil, false
		s.mu.Unlock()
		if !full && !mayEmbed(s.opts.Dir, changed) {
			continue
		}
		why := s.load(ctx)
		select {
		case loaded <- struct{}{}:
		default:
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
func (s *Set) load(ctx context.Context) string {
	files, err := Files(ctx, s.opts.Dir, s.opts.Package, s.opts.Tags, s.opts.Env)
	if err != nil {
		return "" // a broken tree; the next good build tries again
	}
	set := make(map[string]bool, len(files))
	var dirs []string
	for _, f := range files {
		if strings.HasSuffix(f, "/") {
			dirs = append(dirs, f)
		} else {
			set[f] = true
		}
	}
	s.mu.Lock()
	news := len(set) != len(s.files) || len(dirs) != len(s.dirs)
	var learned, learnedDirs []string
	for f := range set {
		if !s.hasLocked(f) {
			learned = append(learned, f)
		}
	}
	for _, d := range dirs {
		if !s.hasLocked(d) {
			learnedDirs = append(learnedDirs, d)
		}
	}
	s.files, s.dirs = set, dirs
	since := s.since
	s.mu.Unlock()
	if news {
		s.opts.Log.Infof("watching %d embedded %s", len(set), plural(len(set), "file"))
	}
	if counts := s.opts.Counts; counts != nil {
		learned = slices.DeleteFunc(learned, func(f string) bool { return !counts(f) })
		// A directory, only if the watcher counts a file of it.
		learnedDirs = slices.DeleteFunc(learnedDirs, func(d string) bool {
			for f := range set {
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

// mayEmbed reports whether a build of changed can have changed the set:
// a .go file among them holds a //go:embed line, or is gone.
func mayEmbed(root string, changed []string) bool {
	for _, p := range changed {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || bytes.Contains(data, []byte("//go:embed")) {
			return true
		}
	}
	return false
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
