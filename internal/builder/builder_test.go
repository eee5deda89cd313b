package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// fixture writes a one-file main module and returns its directory.
func fixture(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/fx\n\ngo 1.22\n")
	write(t, filepath.Join(dir, "main.go"), src)
	return dir
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newTestBuilder(t *testing.T, dir string) (*Builder, *WorkDir) {
	t.Helper()
	testkit.OwnCache(t)
	work, err := NewWorkDir(dir, "fx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { work.Remove() })
	return New(Options{Dir: dir, Package: ".", Env: os.Environ(), Work: work}), work
}

func TestBuildSwapsBinaryAndCleansUp(t *testing.T) {
	dir := fixture(t, "package main\n\nfunc main() { println(\"v1\") }\n")
	b, work := newTestBuilder(t, dir)
	res := b.Build(context.Background(), nil)
	if res.Err != nil || res.Failed {
		t.Fatalf("build: %+v", res)
	}
	out, err := exec.Command(res.Binary).CombinedOutput()
	if err != nil || string(out) != "v1\n" {
		t.Fatalf("binary printed %q, %v", out, err)
	}
	write(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() { println(\"v2\") }\n")
	res = b.Build(context.Background(), nil)
	if out, _ := exec.Command(res.Binary).CombinedOutput(); string(out) != "v2\n" {
		t.Fatalf("second binary printed %q", out)
	}
	entries, _ := os.ReadDir(work.Dir())
	for _, e := range entries {
		if e.Name() != "fx" && e.Name() != "tmp" {
			t.Errorf("work directory holds %s besides the binary", e.Name())
		}
	}
}

func TestBuildFailureKeepsOldBinary(t *testing.T) {
	dir := fixture(t, "package main\n\nfunc main() {}\n")
	b, work := newTestBuilder(t, dir)
	if res := b.Build(context.Background(), nil); res.Failed || res.Err != nil {
		t.Fatalf("build: %+v", res)
	}
	before, _ := os.Stat(work.Binary())
	write(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() { x }\n")
	res := b.Build(context.Background(), nil)
	if !res.Failed || len(res.Diagnostics) != 1 {
		t.Fatalf("want one diagnostic, got %+v", res)
	}
	d := res.Diagnostics[0]
	if d.File != "main.go" || d.Line != 3 || d.Column != 15 {
		t.Errorf("diagnostic = %+v, want main.go:3:15", d)
	}
	after, err := os.Stat(work.Binary())
	if err != nil || !os.SameFile(before, after) {
		t.Fatal("a failed build replaced the binary")
	}
}

// Cancelling a build kills go build and its children and leaves nothing
// behind in golive's directory.
func TestBuildCancelKillsAndSweeps(t *testing.T) {
	// A package big enough that the build is still running when cancelled:
	// a fresh GOCACHE makes go compile the standard library it needs. A
	// build that finished before its cancel lost a race: it is tried again.
	dir := fixture(t, "package main\n\nimport _ \"net/http\"\n\nfunc main() {}\n")
	b, work := newTestBuilder(t, dir)
	var res runner.BuildResult
	for range 5 {
		b.opts.Env = append(os.Environ(), "GOCACHE="+t.TempDir())
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			// Cancel once go build has made its work directory: it is then
			// compiling, with files to leave behind.
			for ctx.Err() == nil {
				if entries, _ := os.ReadDir(work.GoTmp()); len(entries) > 0 {
					cancel()
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		res = b.Build(ctx, nil)
		cancel()
		if res.Err != nil {
			break
		}
		os.Remove(work.Binary())
	}
	if res.Err == nil {
		t.Fatal("5 builds in a row finished before they could be cancelled")
	}
	if _, err := os.Stat(work.Binary()); err == nil {
		t.Fatal("a cancelled build produced a binary")
	}
	entries, _ := os.ReadDir(work.GoTmp())
	if len(entries) != 0 {
		t.Fatalf("GOTMPDIR holds %d entries after a killed build", len(entries))
	}
	entries, _ = os.ReadDir(work.Dir())
	if len(entries) != 1 {
		t.Fatalf("work directory holds %v, want only tmp", entries)
	}
}

// build.env reaches go build: GOFLAGS set there picks the file that a
// build constraint guards.
func TestBuildUsesItsEnv(t *testing.T) {
	dir := fixture(t, "package main\n\nfunc main() { println(msg) }\n")
	write(t, filepath.Join(dir, "on.go"), "//go:build golive_env\n\npackage main\n\nconst msg = \"from build.env\"\n")
	write(t, filepath.Join(dir, "off.go"), "//go:build !golive_env\n\npackage main\n\nconst msg = \"without it\"\n")
	b, _ := newTestBuilder(t, dir)
	b.opts.Env = append(b.opts.Env, "GOFLAGS=-tags=golive_env")
	res := b.Build(context.Background(), nil)
	if res.Err != nil || res.Failed {
		t.Fatalf("build: %+v", res)
	}
	if out, _ := exec.Command(res.Binary).CombinedOutput(); string(out) != "from build.env\n" {
		t.Fatalf("binary printed %q: GOFLAGS from the build's env did not reach go build", out)
	}
}

// TestBuilderReplaysAndNeverServesStale drives the Builder as the runner
// does: a replayed edit, then an edit whose build fails with a second file
// changed alongside, then a fix of the failing file alone. The last build
// must hold both edits: after a failed build only go build may run.
func TestBuilderReplaysAndNeverServesStale(t *testing.T) {
	dir := testkit.WriteModule(t, testkit.LibModule)
	b, _ := newTestBuilder(t, dir)
	b = New(Options{Dir: dir, Package: ".", Env: b.opts.Env, Work: b.opts.Work, Replay: true})
	ctx := context.Background()
	testkit.FileClockPast()
	if res := b.Build(ctx, nil); res.Err != nil || res.Failed || res.Replayed {
		t.Fatalf("first build: %+v", res)
	}
	write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	res := b.Build(ctx, []string{"version.go"})
	if res.Err != nil || res.Failed || !res.Replayed {
		t.Fatalf("edit of main: %+v, want a replay", res)
	}
	if got := testkit.Output(t, res.Binary); got != "A v2" {
		t.Fatalf("replayed binary printed %q", got)
	}

	write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v3\"\n")
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nfunc Word() string { return undefined }\n")
	res = b.Build(ctx, []string{"lib/lib.go", "version.go"})
	if !res.Failed || len(res.Diagnostics) == 0 || res.Diagnostics[0].File != "lib/lib.go" {
		t.Fatalf("broken lib: %+v, want go build's diagnostics for lib/lib.go", res)
	}
	if strings.Contains(res.Output, "WORK=") || strings.Contains(res.Output, "/compile ") {
		t.Errorf("go build -x's commands leaked into the output:\n%s", res.Output)
	}

	write(t, filepath.Join(dir, "lib", "lib.go"), strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"c"`, 1))
	res = b.Build(ctx, []string{"lib/lib.go"})
	if res.Err != nil || res.Failed || res.Replayed {
		t.Fatalf("fix after a failed build: %+v, want go build", res)
	}
	if got := testkit.Output(t, res.Binary); got != "C v3" {
		t.Fatalf("after the fix the program printed %q, want %q (both edits)", got, "C v3")
	}
}

// speculating returns a replaying builder of testkit.LibModule after its
// first build (printing "A v1"), with version.go then saved as v2: the
// edit a guess builds.
func speculating(t *testing.T) (*Builder, runner.BuildResult, string) {
	t.Helper()
	dir := testkit.WriteModule(t, testkit.LibModule)
	b, _ := newTestBuilder(t, dir)
	b = New(Options{Dir: dir, Package: ".", Env: b.opts.Env, Work: b.opts.Work, Replay: true})
	testkit.FileClockPast()
	first := b.Build(context.Background(), nil)
	if first.Err != nil || first.Failed {
		t.Fatalf("first build: %+v", first)
	}
	write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	return b, first, dir
}

// TestSpeculateHoldsItsBinaryUntilAdopted: a speculative build replays at
// once but places nothing until adopted; one dropped before that leaves
// the last binary as it was, and the next build of the same edit still
// replays; adopted, it is the replay's binary.
func TestSpeculateHoldsItsBinaryUntilAdopted(t *testing.T) {
	b, first, _ := speculating(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan runner.BuildResult, 1)
	go func() { done <- b.Speculate(ctx, []string{"version.go"}, make(chan struct{}), make(chan struct{})) }()
	time.Sleep(100 * time.Millisecond) // part way, or done and waiting: either way not adopted
	cancel()
	if res := <-done; res.Err == nil || res.Binary != "" {
		t.Fatalf("a dropped guess: %+v, want the cancel and no binary", res)
	}
	if got := testkit.Output(t, first.Binary); got != "A v1" {
		t.Fatalf("after a dropped guess the last binary printed %q, want %q", got, "A v1")
	}

	adopt, idle := make(chan struct{}), make(chan struct{})
	close(adopt)
	res := b.Speculate(context.Background(), []string{"version.go"}, adopt, idle)
	if res.Err != nil || res.Failed || !res.Replayed {
		t.Fatalf("an adopted guess: %+v, want a replay", res)
	}
	select {
	case <-idle:
		t.Error("a guess a replay served said it was idle")
	default:
	}
	if got := testkit.Output(t, res.Binary); got != "A v2" {
		t.Fatalf("the adopted guess's binary printed %q, want %q", got, "A v2")
	}
}

// TestSpeculateRechecksWhenAdopted: a file saved again after the guess's
// replay ended, but before its adoption (its event not yet heard when the
// burst ended), is built as it is now, not as the replay compiled it.
func TestSpeculateRechecksWhenAdopted(t *testing.T) {
	b, _, dir := speculating(t)
	adopt := make(chan struct{})
	done := make(chan runner.BuildResult, 1)
	go func() { done <- b.Speculate(context.Background(), []string{"version.go"}, adopt, make(chan struct{})) }()
	time.Sleep(3 * time.Second) // the replay of v2 has most likely ended; if not, its own check sees v3
	write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v3\"\n")
	close(adopt)
	res := <-done
	if res.Err != nil || res.Failed {
		t.Fatalf("adopted guess: %+v", res)
	}
	if got := testkit.Output(t, res.Binary); got != "A v3" {
		t.Fatalf("the adopted guess's binary printed %q, want %q: the file as it is at the adoption", got, "A v3")
	}
}

// TestSpeculateIdlesWhenNoReplayServes: a guess no replay serves (the
// edit imports a package new to its package) says so by closing idle
// before its adoption, then runs go build once adopted, its Duration
// counted from the adoption.
func TestSpeculateIdlesWhenNoReplayServes(t *testing.T) {
	b, _, dir := speculating(t)
	write(t, filepath.Join(dir, "version.go"), "package main\n\nimport _ \"hash/crc32\"\n\nconst version = \"v2\"\n")
	adopt, idle := make(chan struct{}), make(chan struct{})
	done := make(chan runner.BuildResult, 1)
	guessed := time.Now()
	go func() { done <- b.Speculate(context.Background(), []string{"version.go"}, adopt, idle) }()
	select {
	case <-idle:
	case <-time.After(testkit.Timeout):
		t.Fatal("a guess no replay serves never said it was idle")
	}
	const wait = 300 * time.Millisecond
	time.Sleep(wait)
	close(adopt)
	res := <-done
	if res.Err != nil || res.Failed || res.Replayed {
		t.Fatalf("adopted guess: %+v, want go build", res)
	}
	if got := testkit.Output(t, res.Binary); got != "A v2" {
		t.Fatalf("the adopted guess's binary printed %q, want %q", got, "A v2")
	}
	if total := time.Since(guessed); res.Duration > total-wait {
		t.Fatalf("Duration %v of %v since the guess: it counts the %v before the adoption", res.Duration, total, wait)
	}
}
