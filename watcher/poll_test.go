package watcher

import (
	"github.com/fsnotify/fsnotify"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPollInterval keeps the polled tests quick.
const testPollInterval = 20 * time.Millisecond

// behaviours is the table both backends pass: each test runs on its own
// with fsnotify, and TestPolled runs it again with the poller (start
// polls when the test's name ends in "/poll").
var behaviours = map[string]func(*testing.T){
	"SingleSave":                   TestSingleSave,
	"AtomicSave":                   TestAtomicSave,
	"UnchangedContentGivesNothing": TestUnchangedContentGivesNothing,
	"NewDirectory":                 TestNewDirectory,
	"IgnoredFilesGiveNothing":      TestIgnoredFilesGiveNothing,
	"Remove":                       TestRemove,
	"DirectoryMovedAndRemoved":     TestDirectoryMovedAndRemoved,
	"IncludeAndExtra":              TestIncludeAndExtra,
	"Storm":                        TestStorm,
	"RunStopsOnCancel":             TestRunStopsOnCancel,
	"GraphMode":                    TestGraphMode,
	"OutsideChangedSince":          TestOutsideChangedSince,
	"GraphNarrows":                 TestGraphNarrows,
}

func TestPolled(t *testing.T) {
	t.Parallel()
	for name, test := range behaviours {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("poll", test)
		})
	}
}

// TestPollerIdle: a poller with nothing to poll runs no goroutine, and
// Close ends the one a watch started.
func TestPollerIdle(t *testing.T) {
	t.Parallel()
	p := newPoller(time.Millisecond, nil, nil)
	if p.running {
		t.Fatal("a poller with no directory runs")
	}
	dir := t.TempDir()
	if err := p.Add(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-p.events:
		if ev.Name != filepath.Join(dir, "a.go") || !ev.Has(fsnotify.Create) {
			t.Errorf("event %v, want a.go created", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event for a new file")
	}
	p.Close()
	if _, open := <-p.events; open {
		t.Error("Events still open after Close")
	}
}

// TestPollerTrustsAnOldDirectoryTime: a directory whose time is old and
// unmoved is not listed again, only its entries looked at: a write of a
// file in it is seen; a file added moves the directory's time, and it is
// seen too; a look that finds nothing changed gives back the listing it
// had, with no event.
func TestPollerTrustsAnOldDirectoryTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.go")
	if err := os.WriteFile(a, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	before, err := look(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if same, err := look(dir, before); err != nil || same != before {
		t.Fatalf("an unchanged directory looked anew: %v", err)
	}
	if err := os.WriteFile(a, []byte("two, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil || !info.ModTime().Equal(old) {
		t.Fatalf("writing a file moved its directory's time (%v): the test proves nothing", err)
	}
	now, err := look(dir, before)
	if err != nil || now == before || now.entries["a.go"] == before.entries["a.go"] {
		t.Fatalf("the write of a.go is not in the new look (%v)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.go"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	added, err := look(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := added.entries["b.go"]; !ok {
		t.Fatalf("the new file b.go is not in the look after it: %v", added.entries)
	}
	// A file system that keeps a directory's time still (here set back by
	// hand): the new file shows within relistEvery looks all the same.
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	l, err := look(dir, added)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.go"), []byte("unseen"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < relistEvery; i++ {
		if l, err = look(dir, l); err != nil {
			t.Fatal(err)
		}
		if _, ok := l.entries["c.go"]; ok {
			return
		}
	}
	t.Fatalf("c.go not seen within %d looks of a directory whose time stands still", relistEvery)
}
