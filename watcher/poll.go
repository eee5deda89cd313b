package watcher

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// poller is the backend for directories whose file system sends no
// events (a 9p, NFS or SMB share, FUSE) and for all of them once the
// inotify limits are reached. No maintained Go library polls a changing
// set of directories with fsnotify's events, so golive has its own: each
// interval it lists every directory it watches that the watcher finds
// worth it (wanted) and turns what differs from the last listing into the
// events fsnotify would have sent: Create, Write, Remove. The polling
// goroutine runs only while a directory is watched, so a golive that
// polls nothing wakes for nothing.
type poller struct {
	interval time.Duration
	wanted   func(dir string) bool // nil: every directory
	version  func() uint64         // changes when wanted's answers may; nil: they do not
	events   chan fsnotify.Event
	done     chan struct{}

	mu          sync.Mutex
	dirs        map[string]*listing // directory → how it looked
	list        []string            // the wanted ones, for listVersion; nil when dirs changed
	listVersion uint64
	running     bool
	closed      bool
	wg          sync.WaitGroup
}

// listing is how a polled directory looked.
type listing struct {
	self    stamp            // the directory's own, as it was just before it was listed
	at      time.Time        // when it was listed
	entries map[string]stamp // entry name → how it looked
	looks   int              // looks since it was listed (the poller's goroutine's)
}

// relistEvery is how many looks at most go by without a listing: a file
// system whose directory times never move (some FUSE ones) still shows
// a new entry within that many rounds.
const relistEvery = 4

// coarseTime is how far apart a directory's modification time and its
// listing must be for the time to be trusted to move with the next
// entry added, removed or renamed: some file systems keep times to the
// second (2 s on FAT), and two changes in one tick leave one time.
const coarseTime = 2 * time.Second

// stamp is what a poll compares: a save changes the size or the
// modification time (nanoseconds where the file system keeps them), an
// editor's save by rename the inode.
type stamp struct {
	size int64
	mod  time.Time
	mode fs.FileMode
	ino  uint64
}

func newPoller(interval time.Duration, wanted func(string) bool, version func() uint64) *poller {
	return &poller{interval: interval, wanted: wanted, version: version, events: make(chan fsnotify.Event, 256),
		done: make(chan struct{}), dirs: map[string]*listing{}}
}

// Add starts polling dir, from its entries as they are now: a file
// written after Add returns is seen.
func (p *poller) Add(dir string) error {
	entries, err := look(dir, nil)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fsnotify.ErrClosed
	}
	p.dirs[dir] = entries
	p.list = nil
	if !p.running {
		p.running = true
		p.wg.Add(1)
		go p.run()
	}
	return nil
}

// Remove stops polling dir.
func (p *poller) Remove(dir string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.dirs, dir)
	p.list = nil
	return nil
}

// Close stops the polling goroutine, then closes Events.
func (p *poller) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	p.wg.Wait()
	close(p.events)
}

// count is how many directories are polled.
func (p *poller) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.dirs)
}

// pollSettle is how soon a round follows one that found a change: a
// burst (a git checkout) ends once a round finds nothing more, without
// waiting a whole interval, and the debounce window of a polled change
// (pollQuiet) spans the next round.
const (
	pollSettle = 50 * time.Millisecond
	pollQuiet  = 2 * pollSettle
)

func (p *poller) run() {
	defer p.wg.Done()
	t := time.NewTimer(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			found, ok := p.round()
			if !ok || !p.keepRunning() {
				return
			}
			if found {
				t.Reset(min(pollSettle, p.interval))
			} else {
				t.Reset(p.interval)
			}
		}
	}
}

// keepRunning reports whether directories are left to poll; if none
// is, the goroutine ends, and the next Add starts another.
func (p *poller) keepRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dirs) == 0 {
		p.running = false // the next Add starts another goroutine
		return false
	}
	return true
}

// round polls every wanted directory once. It reports whether it found a
// change, and false as ok once the poller is closed.
func (p *poller) round() (found, ok bool) {
	for _, d := range p.wantedDirs() {
		sent, ok := p.poll(d)
		if !ok {
			return found, false
		}
		found = found || sent
	}
	return found, true
}

// wantedDirs returns the directories to list this round: kept from the
// round before unless a directory came or went or the answers of wanted
// may have changed, so that a round goes over the listed directories
// only, not every directory the walk found.
func (p *poller) wantedDirs() []string {
	var v uint64
	if p.version != nil {
		v = p.version()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.list == nil || v != p.listVersion {
		list := make([]string, 0, len(p.dirs))
		for d := range p.dirs {
			if p.wanted == nil || p.wanted(d) {
				list = append(list, d)
			}
		}
		p.list, p.listVersion = list, v
	}
	return p.list
}

// poll lists dir and sends what changed since the last listing, saying
// whether it sent anything, and false as ok once the poller is closed.
func (p *poller) poll(dir string) (sent, ok bool) {
	n := 0
	send := func(ev fsnotify.Event) bool {
		n++
		return p.send(ev)
	}
	ok = p.diff(dir, send)
	return n > 0, ok
}

// diff lists dir and sends what differs from the last listing.
func (p *poller) diff(dir string, send func(fsnotify.Event) bool) bool {
	p.mu.Lock()
	before := p.dirs[dir]
	p.mu.Unlock()
	if before == nil {
		return true // removed meanwhile
	}
	now, err := look(dir, before)
	if now == before {
		return true // nothing changed
	}
	p.mu.Lock()
	_, ok := p.dirs[dir]
	if ok {
		if err != nil {
			delete(p.dirs, dir) // gone: so says the event below
		} else {
			p.dirs[dir] = now
		}
	}
	p.mu.Unlock()
	if !ok {
		return true // removed meanwhile
	}
	if err != nil {
		return send(fsnotify.Event{Name: dir, Op: fsnotify.Remove})
	}
	for name, st := range now.entries {
		old, had := before.entries[name]
		switch {
		case !had || old.ino != st.ino || old.mode.IsDir() != st.mode.IsDir():
			if !send(fsnotify.Event{Name: filepath.Join(dir, name), Op: fsnotify.Create}) {
				return false
			}
		case old != st && !st.mode.IsDir():
			if !send(fsnotify.Event{Name: filepath.Join(dir, name), Op: fsnotify.Write}) {
				return false
			}
		}
	}
	for name := range before.entries {
		if _, has := now.entries[name]; !has {
			if !send(fsnotify.Event{Name: filepath.Join(dir, name), Op: fsnotify.Remove}) {
				return false
			}
		}
	}
	return true
}

func (p *poller) send(ev fsnotify.Event) bool {
	select {
	case p.events <- ev:
		return true
	case <-p.done:
		return false
	}
}

// look returns how dir looks now: before itself when nothing changed.
// When the directory's own stamp is the one before was listed under, and
// old enough to be trusted (coarseTime), no entry came, went or was
// renamed, and only the entries are looked at again; otherwise dir is
// listed anew.
func look(dir string, before *listing) (*listing, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	self := stampOf(info)
	if before == nil || self != before.self || before.at.Sub(self.mod) < coarseTime || before.looks+1 >= relistEvery {
		return list(dir, self)
	}
	before.looks++
	var changed map[string]stamp // made at the first entry that changed
	for name, old := range before.entries {
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return list(dir, self) // gone, with the directory's time unmoved: list to be sure
		}
		if st := stampOf(info); st != old {
			if changed == nil {
				changed = maps.Clone(before.entries)
			}
			changed[name] = st
		}
	}
	if changed == nil {
		return before, nil
	}
	return &listing{self: self, at: before.at, entries: changed, looks: before.looks}, nil
}

// list reads dir's entries and their stamps; an entry that vanishes
// between the two is left out. self is the directory's own stamp, taken
// before.
func list(dir string, self stamp) (*listing, error) {
	at := time.Now()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := make(map[string]stamp, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		m[e.Name()] = stampOf(info)
	}
	return &listing{self: self, at: at, entries: m}, nil
}

func stampOf(info fs.FileInfo) stamp {
	return stamp{size: info.Size(), mod: info.ModTime(), mode: info.Mode(), ino: inode(info)}
}
