package watcher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"

	"github.com/fsnotify/fsnotify"
)

// errBackendClosed reports that fsnotify stopped delivering on its own.
var errBackendClosed = errors.New("watcher: fsnotify channels closed")

// Watcher watches one root. Create it with New and start it with Run,
// once; Run closes it when it returns, and Close lets go of a Watcher
// that never ran.
type Watcher struct {
	opts    Options
	m       *matcher
	sums    *sums
	tree    *tree
	be      *backend
	changed bool // with opts.Since: something changed since then (New)
	// polled keeps wantPolled's answers for the graph's polledVersion;
	// the poller's goroutine alone uses them.
	polled        map[string]bool
	polledVersion uint64
	// saidIgnored is when Ignored last heard of each path (sayIgnored).
	saidIgnored map[string]time.Time
	closeOnce   sync.Once
	closed      atomic.Bool // Close was called: the backend's end is no failure
}

// New validates the patterns, watches every directory under opts.Root that
// is not ignored and records the content of every counted file, so that the
// first save of a file that did not change is recognised as nothing.
func New(opts Options) (*Watcher, error) {
	root, err := checkRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	m, err := newMatcher(root, opts)
	if err != nil {
		return nil, err
	}
	if opts.Warn == nil {
		opts.Warn = func(error) {}
	}
	w := &Watcher{opts: opts, m: m, sums: newSums(root), saidIgnored: map[string]time.Time{}}
	var version func() uint64
	if opts.Graph != nil {
		version = opts.Graph.Version
	}
	w.be = newBackend(opts, w.wantPolled, version)
	w.tree = &tree{root: root, m: m, add: w.be.add, remove: w.be.remove, warn: opts.Warn,
		dirs: map[string]bool{}, outside: map[string]bool{}, real: map[string]bool{}, realOf: map[string]string{}}
	if err := w.tree.walk(root, w.baseline); err != nil {
		w.be.close()
		return nil, err
	}
	if !opts.Since.IsZero() && !w.changed {
		w.changed = w.tree.changedSince(opts.Since)
	}
	return w, nil
}

// Check validates opts as New does, without watching anything, and
// refuses a root that is / or the home directory with a large tree
// (unless Options.AllowRoot).
func Check(opts Options) error {
	root, err := checkRoot(opts.Root)
	if err != nil {
		return err
	}
	m, err := newMatcher(root, opts)
	if err != nil || opts.AllowRoot {
		return err
	}
	return checkSize(root, m)
}

// Changed reports whether, with Options.Since set, a counted file or a
// watched directory changed at or after Since, by its change time
// (fileclock.ChangedSince; off Linux its modification time). A file is judged after New has hashed it and a directory
// after the whole walk: a change before that shows in the times, a later
// one sends an event that the hashes do not hide.
func (w *Watcher) Changed() bool { return w.changed }

func checkRoot(dir string) (string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("watch %s: %w", dir, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("watch root: %w", err) // err names the path
	}
	if !info.IsDir() {
		return "", fmt.Errorf("watch %s: not a directory", dir)
	}
	return root, nil
}

func (w *Watcher) baseline(rel string) error {
	if err := w.sums.baseline(rel); err != nil {
		w.opts.Warn(fmt.Errorf("hash %s: %w", rel, err))
	}
	if !w.opts.Since.IsZero() && !w.changed {
		w.changed = fileclock.ChangedSince(filepath.Join(w.tree.root, filepath.FromSlash(rel)), w.opts.Since)
	}
	return nil
}

// Match reports whether the slash-separated path rel, relative to the root,
// is a file that triggers a rebuild. It only filters; nothing is hashed.
func (w *Watcher) Match(rel string) bool { return w.m.match(rel) }

// Run delivers batches on out until ctx is done or the backend fails, then
// closes the backend and out. It returns nil when ctx ends it. The debounce
// goroutine it starts has returned by the time Run does.
func (w *Watcher) Run(ctx context.Context, out chan<- Batch) error {
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan event, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		debounce(ctx, events, out, w.opts.Debounce, w.sums, w.opts.Tentative)
	}()
	err := w.loop(ctx, events)
	cancel()
	<-done
	w.Close()
	close(out)
	return err
}

// Close removes every watch and closes the backend. It is safe to call
// more than once, and while Run runs: Run then returns.
func (w *Watcher) Close() error {
	var err error
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		err = w.be.close()
		if w.m.git != nil {
			w.m.git.close()
		}
	})
	return err
}

// loop reads the backend and forwards what the filter keeps.
func (w *Watcher) loop(ctx context.Context, events chan<- event) error {
	emitter := func(quiet time.Duration) func(string) error {
		return func(rel string) error {
			select {
			case events <- event{path: rel, at: time.Now(), quiet: quiet}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	emit, emitPolled := emitter(0), emitter(pollQuiet)
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.be.events():
			if !ok {
				return w.backendClosed()
			}
			err = w.handle(ev, emit)
		case ev, ok := <-w.be.poll.events:
			if !ok {
				return w.backendClosed()
			}
			err = w.handle(ev, emitPolled)
		case e, ok := <-w.be.errors():
			if !ok {
				return w.backendClosed()
			}
			err = w.backendError(e, emit)
		case dirs := <-w.opts.Outside:
			err = w.regraph(dirs, emit)
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
}

// regraph follows the build graph's new answer: it watches the listed
// directories outside the root, and under it from now on only those the
// graph or an include pattern wants (wantedDir), dropping the others'
// watches and adding the missing ones. Done then hears what it watches.
func (w *Watcher) regraph(d Dirs, emit func(string) error) error {
	w.tree.wanted = w.wantedDir
	w.tree.narrow(w.sums.forgetDir)
	before := maps.Clone(w.tree.dirs)
	file := w.sinceOr(d.Since, emit)
	err := w.tree.setOutside(d.List, file)
	if err == nil {
		err = w.tree.grow(file)
	}
	if d.Done != nil {
		ws := Watched{Dirs: len(w.tree.dirs)}
		for dir := range w.tree.dirs {
			if !before[dir] {
				ws.Added = append(ws.Added, dir)
			}
		}
		d.Done <- ws
	}
	return err
}

// wantedDir reports whether, in graph mode, the directory at rel under
// the root is watched: it holds or lies above one of ExtraDirs, the build
// reads files in it or below it (or the graph does not know: before its
// answer, after a failed build), or an include pattern may match a file
// in it and git does not ignore it.
func (w *Watcher) wantedDir(rel string) bool {
	for _, d := range w.opts.ExtraDirs {
		if d == rel || strings.HasPrefix(d, rel+"/") {
			return true
		}
	}
	return w.opts.Graph.Dir(rel) || (w.m.includeDir(rel) && !w.m.gitIgnored(rel))
}

// sinceOr returns what to do with a counted file found in a directory
// outside the root when it is first watched: emit it if it changed at or
// after since (with the file clock's slack), else record its content.
func (w *Watcher) sinceOr(since time.Time, emit func(string) error) func(rel string) error {
	return func(rel string) error {
		name := filepath.Join(w.tree.root, filepath.FromSlash(rel))
		if !since.IsZero() && fileclock.ChangedSince(name, since.Add(-fileclock.Slack)) {
			return emit(rel)
		}
		return w.baseline(rel)
	}
}

// backendClosed is the end of the backend's channels: a failure, unless
// Close ended them.
func (w *Watcher) backendClosed() error {
	if w.closed.Load() {
		return nil
	}
	return errBackendClosed
}

// handle turns one backend event into the paths it may have changed.
func (w *Watcher) handle(ev fsnotify.Event, emit func(string) error) error {
	rel := w.tree.rel(ev.Name)
	if ev.Has(fsnotify.Create) && isDir(ev.Name) {
		if w.tree.outside[filepath.Dir(ev.Name)] {
			return nil // outside the root only the build graph's directories are watched
		}
		// A new directory's files may predate its watch: walk lists them.
		return w.tree.walk(ev.Name, emit)
	}
	if (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) && w.tree.drop(ev.Name) {
		if rel == "." {
			w.opts.Warn(fmt.Errorf("watch %s: root directory removed", w.tree.root))
		}
		// Files inside a directory moved away send no events of their own.
		return emitAll(w.sums.under(rel), emit)
	}
	if ev.Op == fsnotify.Chmod {
		return nil // a touch or chmod never changes content
	}
	if w.m.git != nil && path.Base(rel) == ".gitignore" {
		w.m.git.reset() // git reads it again for the next question
	}
	if ok, why := w.m.verdict(rel); !ok {
		if w.opts.Ignored != nil && w.sayIgnored(rel) && !isDir(ev.Name) {
			w.opts.Ignored(rel, why)
		}
		return nil
	}
	return emit(rel)
}

// ignoredEvery is how often -v says the same ignored path: an editor's
// save is several events, and a file golive's own output lands in (its
// stderr sent to a file of the tree) changes with every line it says.
const ignoredEvery = time.Minute

// sayIgnored reports whether the ignored path rel is due to be said.
func (w *Watcher) sayIgnored(rel string) bool {
	now := time.Now()
	if last, ok := w.saidIgnored[rel]; ok && now.Sub(last) < ignoredEvery {
		return false
	}
	if len(w.saidIgnored) > 1000 {
		clear(w.saidIgnored) // bounded: a tree of generated files
	}
	w.saidIgnored[rel] = now
	return true
}

// backendError handles an error the backend reports while running. Lost
// events are recovered by looking at everything again; the hashes make
// that cost nothing downstream.
func (w *Watcher) backendError(err error, emit func(string) error) error {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		w.opts.Warn(fmt.Errorf("watch %s: %w", w.tree.root, err))
		return nil
	}
	w.opts.Warn(fmt.Errorf("watch %s: %w; rescanning", w.tree.root, err))
	w.tree.prune()
	if err := emitAll(w.sums.under("."), emit); err != nil {
		return err
	}
	return w.tree.walk(w.tree.root, emit)
}

func emitAll(paths []string, emit func(string) error) error {
	for _, p := range paths {
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}

func isDir(name string) bool {
	info, err := os.Lstat(name)
	return err == nil && info.IsDir()
}
