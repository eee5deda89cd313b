package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/log"
	"github.com/golive-dev/golive/watcher"
)

// embedMain embeds a file, a directory, a glob and an excluded directory.
const embedMain = `package main

import "embed"

//go:embed banner.txt static data/*.txt gen
var files embed.FS

func main() { _ = files }
`

// lockedBuffer collects a logger's lines from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// embedProject writes a module whose program embeds embedMain's files,
// and returns an embed set wired to a real watcher of it, as watch does,
// with gen/ excluded.
func embedProject(t *testing.T) (*embedSet, *session, *lockedBuffer) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":         "module example.com/app\n\ngo 1.22\n",
		"main.go":        embedMain,
		"banner.txt":     "one\n",
		"static/a.txt":   "a\n",
		"static/b.txt":   "b\n",
		"static/s/c.txt": "c\n",
		"data/1.txt":     "1\n",
		"gen/g.txt":      "g\n",
	} {
		writeFile(t, filepath.Join(dir, name), data)
	}
	e := newEmbedSet()
	w, err := watcher.New(watcher.Options{Root: dir, Exclude: []string{"gen/**"}, Extra: e.has})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t.Cleanup(func() { w.Run(ctx, make(chan watcher.Batch)) }) // closes the watches
	e.counts = w.Match
	out := &lockedBuffer{}
	s := &session{startDir: dir, pkg: ".", log: log.New(out, log.Options{})}
	return e, s, out
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildStart returns a build start that every file of dir written so far
// is older than, file clock slack included, as it is for a real build
// that starts after them. The clock is read beside dir, not in it.
func buildStart(t *testing.T, dir string) time.Time {
	t.Helper()
	clock := filepath.Join(filepath.Dir(dir), "clock")
	if err := os.MkdirAll(clock, 0o755); err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err == nil {
			if fi, err := os.Lstat(p); err == nil && fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
		return nil
	})
	for {
		now, err := watcher.FileClock(clock)
		if err != nil {
			t.Fatal(err)
		}
		if now.After(newest.Add(2 * fileClockSlack)) {
			return now
		}
	}
}

// TestEmbedRefreshAsksOnceForAFileItLearns: the program's build began,
// then an embedded file it had not been watched for changed: the refresh
// asks for a rebuild. A new file matching the glob after that rebuild (a
// program that writes one at every start) asks no more until a batch of
// changes causes a build; then it may ask again.
func TestEmbedRefreshAsksOnceForAFileItLearns(t *testing.T) {
	t.Parallel()
	e, s, out := embedProject(t)
	ctx := context.Background()
	e.built(nil, buildStart(t, s.startDir))
	writeFile(t, filepath.Join(s.startDir, "data/2.txt"), "2\n")
	if !e.load(ctx, s) {
		t.Fatalf("data/2.txt, new since the build began, asked for no rebuild; log:\n%s", out)
	}
	if !strings.Contains(out.String(), "data/2.txt changed while the program was built; building again") {
		t.Errorf("log lacks the reason for the rebuild:\n%s", out)
	}

	e.built(nil, buildStart(t, s.startDir)) // the rebuild it asked for
	writeFile(t, filepath.Join(s.startDir, "data/3.txt"), "3\n")
	if e.load(ctx, s) {
		t.Fatal("a second file new after the rebuild the refresh asked for asked again: a program that writes one at each start would rebuild forever")
	}
	if !strings.Contains(out.String(), "data/3.txt changed again while the program was built") {
		t.Errorf("log lacks the warning for data/3.txt:\n%s", out)
	}

	e.built([]string{"main.go"}, buildStart(t, s.startDir)) // a save's build
	writeFile(t, filepath.Join(s.startDir, "data/4.txt"), "4\n")
	if !e.load(ctx, s) {
		t.Fatalf("after a save's build, data/4.txt asked for no rebuild; log:\n%s", out)
	}
}

// TestEmbedRefreshSkipsWhatTheWatcherDoesNotCount: an excluded embedded
// file, and files of a directory already watched, changed during the
// build: neither asks for a rebuild (the first is the user's to exclude,
// the second had its event).
func TestEmbedRefreshSkipsWhatTheWatcherDoesNotCount(t *testing.T) {
	t.Parallel()
	e, s, out := embedProject(t)
	ctx := context.Background()
	e.built(nil, buildStart(t, s.startDir))
	writeFile(t, filepath.Join(s.startDir, "gen/g.txt"), "g2\n")
	writeFile(t, filepath.Join(s.startDir, "gen/h.txt"), "h\n")
	if e.load(ctx, s) {
		t.Fatalf("an excluded embedded file asked for a rebuild; log:\n%s", out)
	}
	if !e.has("gen/h.txt") || !e.has("static/a.txt") {
		t.Fatal("the set lacks the embedded files")
	}
	e.built([]string{"main.go"}, buildStart(t, s.startDir))
	writeFile(t, filepath.Join(s.startDir, "static/a.txt"), "a2\n")
	writeFile(t, filepath.Join(s.startDir, "static/d.txt"), "d\n")
	if e.load(ctx, s) {
		t.Fatalf("files of a directory the watcher already counted asked for a rebuild; log:\n%s", out)
	}
}

// TestEmbedRefreshSeesARemovedFile: a file removed from an embedded
// directory during the build leaves no file to stamp; its directory's
// times ask for the rebuild, in a subdirectory too.
func TestEmbedRefreshSeesARemovedFile(t *testing.T) {
	t.Parallel()
	for _, gone := range []string{"static/b.txt", "static/s/c.txt"} {
		t.Run(gone, func(t *testing.T) {
			t.Parallel()
			e, s, out := embedProject(t)
			if gone == "static/s/c.txt" {
				writeFile(t, filepath.Join(s.startDir, "static/s/e.txt"), "e\n")
			}
			e.built(nil, buildStart(t, s.startDir))
			if err := os.Remove(filepath.Join(s.startDir, filepath.FromSlash(gone))); err != nil {
				t.Fatal(err)
			}
			if !e.load(context.Background(), s) {
				t.Fatalf("%s removed during the build asked for no rebuild; log:\n%s", gone, out)
			}
		})
	}
}

// TestEmbedRefreshUnchanged: nothing changed after the build began, and
// nothing asks.
func TestEmbedRefreshUnchanged(t *testing.T) {
	t.Parallel()
	e, s, out := embedProject(t)
	e.built(nil, buildStart(t, s.startDir))
	if e.load(context.Background(), s) {
		t.Fatalf("an unchanged tree asked for a rebuild; log:\n%s", out)
	}
	if !strings.Contains(out.String(), "watching 6 embedded files") {
		t.Errorf("log:\n%s", out)
	}
}
