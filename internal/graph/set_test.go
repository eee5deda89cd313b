package graph

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"

	"github.com/golive-dev/golive/internal/events"
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
// and returns an embed set wired to a real watcher of it, as a session
// does, with gen/ excluded, and the set's log.
func embedProject(t *testing.T) (*Set, string, *lockedBuffer) {
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
	out := &lockedBuffer{}
	var w *watcher.Watcher
	e := New(Options{Dir: dir, Package: ".", Env: os.Environ(), Log: events.New(out, events.Options{}),
		Counts: func(rel string) bool { return w.Match(rel) }})
	w, err := watcher.New(watcher.Options{Root: dir, Exclude: []string{"gen/**"}, Extra: e.Has})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return e, dir, out
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
		now, err := fileclock.Now(clock)
		if err != nil {
			t.Fatal(err)
		}
		if now.After(newest.Add(2 * fileclock.Slack)) {
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
	e, dir, out := embedProject(t)
	ctx := context.Background()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	writeFile(t, filepath.Join(dir, "data/2.txt"), "2\n")
	if why := e.load(ctx, nil, false); why != "data/2.txt changed while the program was built; building again" {
		t.Fatalf("data/2.txt, new since the build began: the refresh says %q; log:\n%s", why, out)
	}

	e.Built(runner.Built{Started: buildStart(t, dir)}) // the rebuild it asked for
	writeFile(t, filepath.Join(dir, "data/3.txt"), "3\n")
	if e.load(ctx, nil, false) != "" {
		t.Fatal("a second file new after the rebuild the refresh asked for asked again: a program that writes one at each start would rebuild forever")
	}
	if !strings.Contains(out.String(), "data/3.txt changed again while the program was built") {
		t.Errorf("log lacks the warning for data/3.txt:\n%s", out)
	}

	e.Built(runner.Built{Changed: []string{"main.go"}, Started: buildStart(t, dir)}) // a save's build
	writeFile(t, filepath.Join(dir, "data/4.txt"), "4\n")
	if e.load(ctx, nil, false) == "" {
		t.Fatalf("after a save's build, data/4.txt asked for no rebuild; log:\n%s", out)
	}
}

// TestRefreshAfterAFailedBuildAsksNothingOfGoFiles: after a build that
// failed (a new import of a package not written yet), the watcher counts
// every Go file under the start directory and reports their changes
// itself; a refresh that then learns the new package's file (one whose
// go list ran while that build failed) asks for no rebuild of its own,
// which would cancel the build the save started.
func TestRefreshAfterAFailedBuildAsksNothingOfGoFiles(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	ctx := context.Background()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	if why := e.load(ctx, nil, false); why != "" {
		t.Fatalf("first refresh: %q", why)
	}
	main := "package main\n\nimport \"example.com/app/bar\"\n\nfunc main() { println(bar.B) }\n"
	writeFile(t, filepath.Join(dir, "main.go"), main)
	e.Built(runner.Built{Failed: true, Changed: []string{"main.go"}, Started: buildStart(t, dir)})
	writeFile(t, filepath.Join(dir, "bar/b.go"), "package bar\n\nconst B = 1\n")
	if why := e.load(ctx, []string{"main.go"}, false); why != "" {
		t.Errorf("the refresh after the failed build asked %q; log:\n%s", why, out)
	}
}

// TestEmbedRefreshSkipsWhatTheWatcherDoesNotCount: an excluded embedded
// file, and files of a directory already watched, changed during the
// build: neither asks for a rebuild (the first is the user's to exclude,
// the second had its event).
func TestEmbedRefreshSkipsWhatTheWatcherDoesNotCount(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	ctx := context.Background()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	writeFile(t, filepath.Join(dir, "gen/g.txt"), "g2\n")
	writeFile(t, filepath.Join(dir, "gen/h.txt"), "h\n")
	if e.load(ctx, nil, false) != "" {
		t.Fatalf("an excluded embedded file asked for a rebuild; log:\n%s", out)
	}
	if !e.Has("gen/h.txt") || !e.Has("static/a.txt") {
		t.Fatal("the set lacks the embedded files")
	}
	e.Built(runner.Built{Changed: []string{"main.go"}, Started: buildStart(t, dir)})
	writeFile(t, filepath.Join(dir, "static/a.txt"), "a2\n")
	writeFile(t, filepath.Join(dir, "static/d.txt"), "d\n")
	if e.load(ctx, nil, false) != "" {
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
			e, dir, out := embedProject(t)
			if gone == "static/s/c.txt" {
				writeFile(t, filepath.Join(dir, "static/s/e.txt"), "e\n")
			}
			e.Built(runner.Built{Started: buildStart(t, dir)})
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(gone))); err != nil {
				t.Fatal(err)
			}
			if e.load(context.Background(), nil, false) == "" {
				t.Fatalf("%s removed during the build asked for no rebuild; log:\n%s", gone, out)
			}
		})
	}
}

// TestEmbedRefreshUnchanged: nothing changed after the build began, and
// nothing asks.
func TestEmbedRefreshUnchanged(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	e.Built(runner.Built{Started: buildStart(t, dir)})
	if e.load(context.Background(), nil, false) != "" {
		t.Fatalf("an unchanged tree asked for a rebuild; log:\n%s", out)
	}
	if !strings.Contains(out.String(), "watching the 8 files the build reads (6 embedded, 0 outside the start directory)") {
		t.Errorf("log:\n%s", out)
	}
}

// TestRunRefreshesOnlyWhenTheSetCanChange: Run asks go list after a full
// build, not after a build of a file with no //go:embed line, and again
// after one of a file with one; a file learned that changed during the
// build comes to the loop as a request with its reason.
func TestRunRefreshesOnlyWhenTheSetCanChange(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	testkit.WriteFile(t, filepath.Join(dir, "lib.go"), "package main\n")
	requests := make(chan runner.Request, 1)
	loaded := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, requests, loaded)
	}()
	defer func() { cancel(); <-done }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-loaded:
		case <-time.After(testkit.Timeout):
			t.Fatalf("no refresh after %s; log:\n%s", what, out)
		}
	}

	e.Built(runner.Built{Started: buildStart(t, dir)})
	wait("the first build")
	if !e.Has("banner.txt") {
		t.Fatal("the set lacks banner.txt after the first refresh")
	}
	e.Built(runner.Built{Changed: []string{"lib.go"}, Started: buildStart(t, dir)})
	select {
	case <-loaded:
		t.Fatal("a build of lib.go, which embeds nothing, refreshed the set")
	case <-time.After(AfterStart + 200*time.Millisecond): // a refresh waits AfterStart
	}
	e.Built(runner.Built{Changed: []string{"main.go"}, Started: buildStart(t, dir)})
	testkit.WriteFile(t, filepath.Join(dir, "data/5.txt"), "5\n")
	wait("a build of main.go")
	select {
	case req := <-requests:
		if !strings.Contains(req.Why, "data/5.txt changed while the program was built") {
			t.Errorf("request %+v", req)
		}
	case <-time.After(testkit.Timeout):
		t.Fatalf("no rebuild asked for data/5.txt; log:\n%s", out)
	}
}

// A build that fails while a refresh waits for the new program to start
// keeps the set as it is; the refresh comes with the next good build,
// with both builds' paths.
func TestRunWaitsOutAFailedBuild(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	loaded := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, make(chan runner.Request, 1), loaded)
	}()
	defer func() { cancel(); <-done }()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	select {
	case <-loaded:
	case <-time.After(testkit.Timeout):
		t.Fatalf("no refresh after the first build; log:\n%s", out)
	}

	testkit.WriteFile(t, filepath.Join(dir, "extra.txt"), "new\n")
	testkit.WriteFile(t, filepath.Join(dir, "main.go"), strings.Replace(embedMain, "banner.txt", "banner.txt extra.txt", 1))
	e.Built(runner.Built{Changed: []string{"main.go"}, Started: buildStart(t, dir)})
	e.Built(runner.Built{Changed: []string{"extra.txt"}, Started: buildStart(t, dir), Failed: true})
	select {
	case <-loaded:
		t.Fatal("the set was refreshed although a build failed while the refresh waited")
	case <-time.After(AfterStart + 300*time.Millisecond):
	}
	if e.Has("extra.txt") {
		t.Fatal("the set counts extra.txt before a good build")
	}
	e.Built(runner.Built{Changed: []string{"lib.go"}, Started: buildStart(t, dir)}) // no change of the set by itself
	select {
	case <-loaded:
	case <-time.After(testkit.Timeout):
		t.Fatalf("no refresh after the good build that followed; log:\n%s", out)
	}
	if !e.Has("extra.txt") {
		t.Fatal("the refresh after the good build lacks extra.txt: main.go's paths were lost")
	}
}

// TestImportersWaitForTheFirstGraph: an edit that changes a package's
// export data asks who imports it. Before the first graph, Importers
// answers at once when no refresh is due, waits for the one a good build
// asked for, and gives up with its context.
func TestImportersWaitForTheFirstGraph(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	testkit.WriteFile(t, filepath.Join(dir, "lib/lib.go"), "package lib\n\nconst V = 1\n")
	testkit.WriteFile(t, filepath.Join(dir, "uses.go"), "package main\n\nimport _ \"example.com/app/lib\"\n")
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	if imps, known := e.Importers(ctx, "example.com/app/lib"); known || imps != nil || ctx.Err() != nil {
		t.Fatalf("before any build: Importers = %v, %v (context: %v), want nothing known at once", imps, known, ctx.Err())
	}

	e.Built(runner.Built{Started: buildStart(t, dir)})
	short, stop := context.WithCancel(ctx)
	stop()
	if _, known := e.Importers(short, "example.com/app/lib"); known {
		t.Fatal("Importers knew the graph before any go list ran")
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, make(chan runner.Request, 1), make(chan struct{}, 1))
	}()
	defer func() { cancel(); <-done }()
	imps, known := e.Importers(ctx, "example.com/app/lib")
	if !known || len(imps) != 1 || imps[0] != "main" {
		t.Fatalf("after the first good build: Importers = %v, %v, want [main], true; log:\n%s", imps, known, out)
	}
}

// TestImportersHurryTheFirstGoList: a save that waits for the first graph
// has go list start at once, not after the wait that leaves the new
// program's start the cores (here an hour).
func TestImportersHurryTheFirstGoList(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	e.opts.AfterStart = time.Hour
	testkit.WriteFile(t, filepath.Join(dir, "lib/lib.go"), "package lib\n\nconst V = 1\n")
	testkit.WriteFile(t, filepath.Join(dir, "uses.go"), "package main\n\nimport _ \"example.com/app/lib\"\n")
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, make(chan runner.Request, 1), make(chan struct{}, 1))
	}()
	defer func() { cancel(); <-done }()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	imps, known := e.Importers(ctx, "example.com/app/lib")
	if !known || len(imps) != 1 || imps[0] != "main" {
		t.Fatalf("Importers = %v, %v (context: %v), want [main], true before the hour is out; log:\n%s", imps, known, ctx.Err(), out)
	}
}

// TestImportersDoNotWaitWhenGoListFails: where go list fails and go build
// does not, a save that changes export data goes to go build at once,
// not after one more failing go list.
func TestImportersDoNotWaitWhenGoListFails(t *testing.T) {
	t.Parallel()
	e, dir, out := embedProject(t)
	testkit.WriteFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.22\n\nrequire (\n") // go list cannot read it
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	runCtx, stopRun := context.WithCancel(ctx)
	loaded := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(runCtx, make(chan runner.Request, 1), loaded)
	}()
	e.Built(runner.Built{Started: buildStart(t, dir)})
	if _, known := e.Importers(ctx, "example.com/app/lib"); known {
		t.Fatalf("Importers knew a graph go list could not make; log:\n%s", out)
	}
	<-loaded
	stopRun()
	<-done
	// A refresh is due again, and no Run will answer it.
	e.Built(runner.Built{Changed: []string{"main.go"}, Started: buildStart(t, dir)})
	if _, known := e.Importers(ctx, "example.com/app/lib"); known || ctx.Err() != nil {
		t.Fatalf("after a failed go list: known %v, context %v; want go build at once", known, ctx.Err())
	}
}
