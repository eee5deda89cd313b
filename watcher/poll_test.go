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
