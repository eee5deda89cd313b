package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/golive-dev/golive/watcher"
)

// rec is one event as received.
type rec struct {
	at      time.Time
	rel     string
	op      fsnotify.Op
	counted bool // golive's default filter passes it to the debounce
}

// recorder watches a tree and keeps the events received since the last take.
type recorder struct {
	root   string
	filter *watcher.Filter
	fsw    *fsnotify.Watcher
	done   chan struct{}

	mu       sync.Mutex
	evs      []rec
	last     time.Time // when the last event arrived
	overflow int
	errs     []error
}

func newRecorder(root string) (*recorder, error) {
	filter, err := watcher.NewFilter(watcher.Options{Root: root})
	if err != nil {
		return nil, err
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	r := &recorder{root: root, filter: filter, fsw: fsw, done: make(chan struct{})}
	if err := r.addTree(root, nil); err != nil {
		fsw.Close()
		return nil, err
	}
	go r.loop()
	return r, nil
}

// addTree watches dir and every directory under it that golive would
// watch. With found non-nil it reports the files already there, as golive
// does for a directory created after start.
func (r *recorder) addTree(dir string, found func(rel string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel := r.rel(p)
		if d.IsDir() {
			if !r.filter.WatchDir(rel) {
				return filepath.SkipDir
			}
			if err := r.fsw.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
		if found != nil {
			found(rel)
		}
		return nil
	})
}

func (r *recorder) rel(p string) string {
	rel, err := filepath.Rel(r.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// loop stamps each event on receipt. It does no more work than golive's
// watcher loop does, so the gaps are those golive would see.
func (r *recorder) loop() {
	defer close(r.done)
	for {
		select {
		case ev, ok := <-r.fsw.Events:
			if !ok {
				return
			}
			now := time.Now()
			rel := r.rel(ev.Name)
			// The watcher drops chmod-only events before its filter sees them.
			counted := ev.Op != fsnotify.Chmod && r.filter.Match(rel)
			r.mu.Lock()
			r.evs = append(r.evs, rec{at: now, rel: rel, op: ev.Op, counted: counted})
			r.last = now
			r.mu.Unlock()
			if ev.Has(fsnotify.Create) && isDir(ev.Name) && r.filter.WatchDir(rel) {
				// golive walks a new directory and emits the files in it.
				err := r.addTree(ev.Name, func(frel string) {
					t := time.Now()
					r.mu.Lock()
					r.evs = append(r.evs, rec{at: t, rel: frel, op: fsnotify.Create, counted: r.filter.Match(frel)})
					r.last = t
					r.mu.Unlock()
				})
				if err != nil {
					r.mu.Lock()
					r.errs = append(r.errs, err)
					r.mu.Unlock()
				}
			}
		case err, ok := <-r.fsw.Errors:
			if !ok {
				return
			}
			r.mu.Lock()
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				r.overflow++
			} else {
				r.errs = append(r.errs, err)
			}
			r.last = time.Now()
			r.mu.Unlock()
		}
	}
}

// quiet waits until no event has arrived for d (and at least d has passed
// since from), or until limit has passed since from. It reports whether
// the silence was reached.
func (r *recorder) quiet(from time.Time, d, limit time.Duration) bool {
	for {
		now := time.Now()
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		if last.Before(from) {
			last = from
		}
		if now.Sub(last) >= d {
			return true
		}
		if now.Sub(from) >= limit {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// take returns the events received since the last take and forgets them.
func (r *recorder) take() ([]rec, int, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs, ov, errs := r.evs, r.overflow, r.errs
	r.evs, r.overflow, r.errs = nil, 0, nil
	return evs, ov, errs
}

func (r *recorder) close() {
	r.fsw.Close()
	<-r.done
}

func isDir(name string) bool {
	info, err := os.Lstat(name)
	return err == nil && info.IsDir()
}
