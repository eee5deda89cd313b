package watcher

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultPollInterval is how often a polled directory is listed when
// Options.PollInterval is zero (docs/usage.md says how it was chosen).
const DefaultPollInterval = 500 * time.Millisecond

// backend routes each directory watch to fsnotify or to the poller:
// everything to the poller with Options.Poll, and otherwise a directory
// on a file system that sends no events, and every directory from the
// moment fsnotify reaches the inotify watch or instance limit. A mixed
// tree polls only what must be polled. It is used by New and then by the
// watcher loop's goroutine only.
type backend struct {
	fsw     *fsnotify.Watcher // nil when fsnotify could not start
	poll    *poller
	pollAll bool
	warn    func(error)
	told    map[string]bool // quiet file system kinds said once
	// quiet names the file system of a directory that sends no events
	// (quietFS); a test makes one of its directories such a share.
	quiet func(dir string) string
}

func newBackend(opts Options, wanted func(string) bool, version func() uint64) *backend {
	interval := opts.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	b := &backend{poll: newPoller(interval, wanted, version), pollAll: opts.Poll, warn: opts.Warn, told: map[string]bool{}, quiet: quietFS}
	if b.pollAll {
		return b
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		b.pollAll = true
		b.warn(fmt.Errorf("%s; polling every %s instead", limitText(err), interval))
		return b
	}
	b.fsw = fsw
	return b
}

func (b *backend) add(dir string) error {
	if b.pollAll {
		return b.poll.Add(dir)
	}
	if kind := b.quiet(dir); kind != "" {
		if !b.told[kind] {
			b.told[kind] = true
			b.warn(fmt.Errorf("watch %s: its file system (%s) sends no events; polling it every %s (watch.poll_interval)", dir, kind, b.poll.interval))
		}
		return b.poll.Add(dir)
	}
	err := b.fsw.Add(dir)
	if limit(err) {
		b.pollAll = true
		b.warn(fmt.Errorf("%s; polling every %s from here on", limitText(err), b.poll.interval))
		return b.poll.Add(dir)
	}
	return err
}

func (b *backend) remove(dir string) error {
	b.poll.Remove(dir)
	if b.fsw != nil {
		return b.fsw.Remove(dir)
	}
	return nil
}

// events and errors are fsnotify's channels, nil when it is not used.
func (b *backend) events() chan fsnotify.Event {
	if b.fsw == nil {
		return nil
	}
	return b.fsw.Events
}

func (b *backend) errors() chan error {
	if b.fsw == nil {
		return nil
	}
	return b.fsw.Errors
}

func (b *backend) close() error {
	b.poll.Close()
	if b.fsw != nil {
		return b.fsw.Close()
	}
	return nil
}

// wantPolled reports whether the poller lists the directory dir (absolute)
// each round: always in tree mode or with include patterns; in graph mode
// the root and the directories the watcher wants (wantedDir: those whose
// files the build reads, all of them after a failed build or go list),
// and below the root none until the graph's first answer.
func (w *Watcher) wantPolled(dir string) bool {
	if w.opts.Graph == nil || len(w.m.include) > 0 {
		return true
	}
	// Asked for every directory in every round, on the poller's
	// goroutine: the answers are kept until the graph changes.
	if v := w.opts.Graph.Version(); v != w.polledVersion || w.polled == nil {
		w.polled, w.polledVersion = map[string]bool{}, v
	}
	want, known := w.polled[dir]
	if !known {
		rest, under := strings.CutPrefix(dir, w.tree.root+string(filepath.Separator))
		// The root, or outside it (only the graph's are watched there).
		// Below it, nothing until the graph's first answer (version 0):
		// a change meanwhile is found then, against the walk's listing.
		want = !under || (w.polledVersion > 0 && w.wantedDir(path.Clean(filepath.ToSlash(rest))))
		w.polled[dir] = want
	}
	return want
}
