package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// TestMixedSet: a directory on a file system that sends no events (here
// one the test declares a share) is polled, with one line saying so,
// while its neighbour on a local file system keeps its inotify watch; a
// save in each is seen by the means that watches it.
func TestMixedSet(t *testing.T) {
	t.Parallel()
	local, share := t.TempDir(), t.TempDir()
	var warned []string
	b := newBackend(Options{PollInterval: testPollInterval, Warn: func(err error) { warned = append(warned, err.Error()) }}, nil, nil)
	t.Cleanup(func() { b.close() })
	b.quiet = func(dir string) string {
		if strings.HasPrefix(dir, share) {
			return "NFS"
		}
		return ""
	}
	for _, d := range []string{local, share} {
		if err := b.add(d); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.fsw.WatchList(); !slices.Equal(got, []string{local}) {
		t.Errorf("inotify watches %v, want only %s", got, local)
	}
	b.poll.mu.Lock()
	_, polled := b.poll.dirs[share]
	_, polledLocal := b.poll.dirs[local]
	b.poll.mu.Unlock()
	if !polled || polledLocal {
		t.Errorf("polled: share %v, local %v; want the share only", polled, polledLocal)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "its file system (NFS) sends no events; polling it every") {
		t.Errorf("warnings %q, want one line naming the share's kind", warned)
	}
	for _, c := range []struct {
		dir    string
		events chan fsnotify.Event
	}{{local, b.fsw.Events}, {share, b.poll.events}} {
		name := filepath.Join(c.dir, "a.go")
		if err := os.WriteFile(name, []byte("package a"), 0o644); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, c.events, name)
	}
}

// waitEvent waits for an event on name from events.
func waitEvent(t *testing.T, events chan fsnotify.Event, name string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Name == name {
				return
			}
		case <-deadline:
			t.Fatalf("no event for %s within 10s", name)
		}
	}
}
