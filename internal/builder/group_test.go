//go:build linux

package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// twoMains is a module with two programs that share a package: each
// prints the shared word and its own.
var twoMains = map[string]string{
	"go.mod":           "module example.com/two\n\ngo 1.22\n",
	"shared/shared.go": "package shared\n\nconst Word = \"s1\"\n",
	"cmd/a/main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/two/shared\"\n)\n\nfunc main() { fmt.Println(\"a\", shared.Word, own) }\n",
	"cmd/a/own.go":     "package main\n\nconst own = \"a1\"\n",
	"cmd/b/main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/two/shared\"\n)\n\nfunc main() { fmt.Println(\"b\", shared.Word, own) }\n",
	"cmd/b/own.go":     "package main\n\nconst own = \"b1\"\n",
}

// mainImports is the build graph's answer for each program of twoMains:
// only main imports shared.
func mainImports(_ context.Context, path string) ([]string, bool) {
	if path == "example.com/two/shared" {
		return []string{"main"}, true
	}
	return nil, true
}

// groupBuilders returns a builder per main of twoMains, sharing a group,
// each with its own work directory, and the lines they said.
func groupBuilders(t *testing.T, dir string, replay bool) ([]*Builder, *lines) {
	t.Helper()
	testkit.OwnCache(t)
	g := NewGroup(2)
	said := &lines{}
	var bs []*Builder
	for _, name := range []string{"a", "b"} {
		work, err := NewServiceWorkDir(dir, name, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { work.Remove() })
		b := New(Options{Dir: dir, Package: "./cmd/" + name, Env: os.Environ(), Work: work, Replay: replay, Group: g,
			Importers: mainImports, Verbose: func(l string) { said.add(name + ": " + l) }})
		t.Cleanup(b.Close)
		bs = append(bs, b)
	}
	return bs, said
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.l = append(l.l, s); l.mu.Unlock() }

func (l *lines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.l {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// buildAll runs every builder's build at once, as the services' sessions
// do after one edit, with each one's changed files.
func buildAll(bs []*Builder, changed ...[]string) []runner.BuildResult {
	res := make([]runner.BuildResult, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Go(func() { res[i] = b.Build(context.Background(), changed[i]) })
	}
	wg.Wait()
	return res
}

func TestGroupBuildsTogetherAndLearnsEachRecipe(t *testing.T) {
	dir := testkit.WriteModule(t, twoMains)
	bs, said := groupBuilders(t, dir, true)
	testkit.FileClockPast()
	res := buildAll(bs, nil, nil)
	for i, want := range []string{"a s1 a1", "b s1 b1"} {
		if res[i].Err != nil || res[i].Failed || res[i].Replayed {
			t.Fatalf("start-up build %d: %+v", i, res[i])
		}
		if got := testkit.Output(t, res[i].Binary); got != want {
			t.Fatalf("start-up build %d printed %q, want %q", i, got, want)
		}
	}
	if n := said.count("one go build for ./cmd/"); n != 2 {
		t.Fatalf("%d builders said they were built by one go build, want 2: %q", n, said.l)
	}

	// Each learned its own recipe from its own link: an edit of the
	// shared constant (export data changes) replays both, main included.
	testkit.WriteFile(t, filepath.Join(dir, "shared", "shared.go"), "package shared\n\nconst Word = \"s2\"\n")
	res = buildAll(bs, []string{"shared/shared.go"}, []string{"shared/shared.go"})
	for i, want := range []string{"a s2 a1", "b s2 b1"} {
		if res[i].Err != nil || res[i].Failed || !res[i].Replayed {
			t.Fatalf("shared edit, builder %d: %+v, want a replay (said %q)", i, res[i], said.l)
		}
		if got := testkit.Output(t, res[i].Binary); got != want {
			t.Fatalf("shared edit, builder %d printed %q, want %q", i, got, want)
		}
	}
	// b's recipe holds b's main, not a's: an edit of b's own file.
	testkit.WriteFile(t, filepath.Join(dir, "cmd", "b", "own.go"), "package main\n\nconst own = \"b2\"\n")
	if r := bs[1].Build(context.Background(), []string{"cmd/b/own.go"}); !r.Replayed || testkit.Output(t, r.Binary) != "b s2 b2" {
		t.Fatalf("b's own edit: replayed %v, printed %q; want a replay printing %q", r.Replayed, testkit.Output(t, r.Binary), "b s2 b2")
	}
}

// TestGroupWaitsForAServiceThatReadsTheEdit: b's session hands it the
// shared edit late (a loaded machine), after a's round has waited its
// minimum; the round waits for b, which reads the edited file and has
// not built since it changed, and one go build serves both.
func TestGroupWaitsForAServiceThatReadsTheEdit(t *testing.T) {
	dir := testkit.WriteModule(t, twoMains)
	bs, said := groupBuilders(t, dir, true)
	if res := buildAll(bs, nil, nil); res[0].Failed || res[1].Failed {
		t.Fatalf("start-up builds: %+v", res)
	}
	bs[1].opts.Reads = func(rel string) bool { return rel == "shared/shared.go" || strings.HasPrefix(rel, "cmd/b/") }
	// A new import: no replay follows it.
	testkit.WriteFile(t, filepath.Join(dir, "shared", "shared.go"), "package shared\n\nimport \"strings\"\n\nvar Word = strings.ToUpper(\"s2\")\n")
	changed := []string{"shared/shared.go"}
	var a runner.BuildResult
	done := make(chan struct{})
	go func() { defer close(done); a = bs[0].Build(context.Background(), changed) }()
	time.Sleep(10 * gatherMin) // b's edit comes late, but within gatherChecking
	b := bs[1].Build(context.Background(), changed)
	<-done
	for i, r := range []runner.BuildResult{a, b} {
		want := []string{"a S2 a1", "b S2 b1"}[i]
		if r.Failed || r.Err != nil || r.Replayed || testkit.Output(t, r.Binary) != want {
			t.Fatalf("build %d: %+v, want go build's binary printing %q", i, r, want)
		}
	}
	if n := said.count("one go build for ./cmd/"); n != 4 {
		t.Fatalf("%d lines of one go build, want 4 (2 at start-up, 2 for the edit): %q", n, said.l)
	}
}

func TestGroupFailureOfOneKeepsTheOther(t *testing.T) {
	dir := testkit.WriteModule(t, twoMains)
	bs, said := groupBuilders(t, dir, true)
	// A new import in shared: no replay follows it, both need go build;
	// and a's own file is broken.
	testkit.WriteFile(t, filepath.Join(dir, "cmd", "a", "own.go"), "package main\n\nconst own = undefined\n")
	testkit.WriteFile(t, filepath.Join(dir, "shared", "shared.go"), "package shared\n\nimport \"strings\"\n\nvar Word = strings.ToUpper(\"s3\")\n")
	testkit.FileClockPast() // the edits are older than the build's start
	res := buildAll(bs, nil, nil)
	if !res[0].Failed || len(res[0].Diagnostics) == 0 || res[0].Diagnostics[0].File != "cmd/a/own.go" {
		t.Fatalf("a: %+v, want its compile error in cmd/a/own.go", res[0])
	}
	if res[1].Failed || res[1].Err != nil || testkit.Output(t, res[1].Binary) != "b S3 b1" {
		t.Fatalf("b: %+v, want its binary printing %q", res[1], "b S3 b1")
	}
	if strings.Contains(res[1].Output, "undefined") {
		t.Errorf("b's build output carries a's error: %q", res[1].Output)
	}
	if n := said.count("one go build"); n != 1 {
		t.Fatalf("%d builders said they were built by one go build, want 1 (b): %q", n, said.l)
	}
	// b learned its recipe from its own link in the failed build: its next
	// edit replays, and gives what go build would.
	testkit.WriteFile(t, filepath.Join(dir, "cmd", "b", "own.go"), "package main\n\nconst own = \"b2\"\n")
	if r := bs[1].Build(context.Background(), []string{"cmd/b/own.go"}); !r.Replayed || testkit.Output(t, r.Binary) != "b S3 b2" {
		t.Fatalf("b after the failed group build: replayed %v, printed %q; want a replay printing %q (said %q)", r.Replayed, testkit.Output(t, r.Binary), "b S3 b2", said.l)
	}
	// a's fix goes to go build (a has no recipe), alone, and serves both edits.
	testkit.WriteFile(t, filepath.Join(dir, "cmd", "a", "own.go"), "package main\n\nconst own = \"a2\"\n")
	if r := bs[0].Build(context.Background(), []string{"cmd/a/own.go"}); r.Failed || r.Replayed || testkit.Output(t, r.Binary) != "a S3 a2" {
		t.Fatalf("a's fix: %+v, printed %q", r, testkit.Output(t, r.Binary))
	}
}

func TestGroupAloneWhenNamesCollide(t *testing.T) {
	files := map[string]string{
		"go.mod":              "module example.com/two\n\ngo 1.22\n",
		"x/server/main.go":    "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\") }\n",
		"y/server/main.go":    "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"y\") }\n",
		"y/server/v2/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"y2\") }\n",
	}
	dir := testkit.WriteModule(t, files)
	testkit.OwnCache(t)
	g := NewGroup(2)
	var bs []*Builder
	for _, pkg := range []string{"./x/server", "./y/server/v2"} {
		work, err := NewServiceWorkDir(dir, pkg, "server")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { work.Remove() })
		b := New(Options{Dir: dir, Package: pkg, Env: os.Environ(), Work: work, Group: g})
		t.Cleanup(b.Close)
		bs = append(bs, b)
	}
	if bs[0].name != "server" || bs[1].name != "server" {
		t.Fatalf("names %q, %q; want server for both (v2 is a major version)", bs[0].name, bs[1].name)
	}
	res := buildAll(bs, nil, nil)
	for i, want := range []string{"x", "y2"} {
		if res[i].Failed || res[i].Err != nil || testkit.Output(t, res[i].Binary) != want {
			t.Fatalf("build %d: %+v, want a binary printing %q", i, res[i], want)
		}
	}
}

func TestGroupLoadErrorBuildsEachAlone(t *testing.T) {
	dir := testkit.WriteModule(t, twoMains)
	bs, said := groupBuilders(t, dir, true)
	// A load error in a: go build stops before it builds anything, for b
	// too; b must still get its program.
	testkit.WriteFile(t, filepath.Join(dir, "cmd", "a", "own.go"), "package main\n\nimport \"example.com/nowhere/gone\"\n\nconst own = gone.X\n")
	res := buildAll(bs, nil, nil)
	if !res[0].Failed || !strings.Contains(res[0].Output+fmt.Sprint(res[0].Diagnostics), "example.com/nowhere/gone") {
		t.Fatalf("a: %+v, want its load error", res[0])
	}
	if res[1].Failed || res[1].Err != nil || testkit.Output(t, res[1].Binary) != "b s1 b1" {
		t.Fatalf("b: %+v, want its binary printing %q", res[1], "b s1 b1")
	}
	if n := said.count("one go build"); n != 0 {
		t.Fatalf("%d builders said one go build built them, want 0: %q", n, said.l)
	}
}

// TestGroupAwaitsOnlyARecentEdit: a builder that reads a changed file and
// has not built since is waited for only if the file changed shortly
// before the round opened. An older change (a reload's edit, which a
// build after the reload covers) is not one its session has yet to hand it.
func TestGroupAwaitsOnlyARecentEdit(t *testing.T) {
	b := &Builder{opts: Options{Reads: func(rel string) bool { return rel == "shared/shared.go" }}}
	opened := time.Now()
	entered := opened.Add(-time.Minute)
	for _, c := range []struct {
		changed time.Time
		want    bool
	}{
		{opened.Add(-10 * time.Millisecond), true},
		{opened.Add(-5 * time.Second), false},
		{entered.Add(-time.Second), false}, // built since
	} {
		if got := b.awaits(map[string]time.Time{"shared/shared.go": c.changed}, entered, opened); got != c.want {
			t.Errorf("file changed %v before the round: awaits = %v, want %v", opened.Sub(c.changed), got, c.want)
		}
	}
	if b.awaits(map[string]time.Time{"other.go": opened.Add(-time.Millisecond)}, entered, opened) {
		t.Error("awaits a builder for a file it does not read")
	}
}
