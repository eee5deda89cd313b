//go:build unix

package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/extld"
	"github.com/golive-dev/golive/internal/goenv"
	"github.com/golive-dev/golive/internal/testkit"
)

// learnedReplayer builds the module with go build -x -work, as the builder
// does, and returns a replayer that learned from it.
func learnedReplayer(t *testing.T, dir string) *Replayer {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "prog")
	testkit.FileClockPast()
	started := time.Now()
	cmd := exec.Command("go", "build", "-x", "-work", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTMPDIR="+t.TempDir(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	r := New(Options{Dir: dir, Main: dir, Env: os.Environ(), Context: goenv.BuildContext(os.Environ(), nil, nil), Out: filepath.Join(t.TempDir(), "replay")})
	r.Learn(string(out), started)
	if r.rec == nil {
		t.Fatalf("nothing learned from:\n%s", out)
	}
	t.Cleanup(r.Forget)
	return r
}

func TestReplayBuildsEditsOfCompiledPackages(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	r := learnedReplayer(t, dir)
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "prog")

	// main's own file: compile main, link.
	testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	if err := r.build(ctx, []string{filepath.Join(dir, "version.go")}, bin); err != nil {
		t.Fatalf("replay of main: %v", err)
	}
	if got := testkit.Output(t, bin); got != "A v2" {
		t.Fatalf("after the main edit the program printed %q, want %q", got, "A v2")
	}

	// A body-only edit of lib: its export data is unchanged, so lib alone
	// compiles and main links with it. Then main again, which must keep
	// the new lib.
	testkit.WriteFile(t, filepath.Join(dir, "lib", "lib.go"), strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"b"`, 1))
	if err := r.build(ctx, []string{filepath.Join(dir, "lib", "lib.go")}, bin); err != nil {
		t.Fatalf("replay of lib: %v", err)
	}
	if got := testkit.Output(t, bin); got != "B v2" {
		t.Fatalf("after the lib edit the program printed %q, want %q", got, "B v2")
	}
	testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v3\"\n")
	if err := r.build(ctx, []string{filepath.Join(dir, "version.go")}, bin); err != nil {
		t.Fatalf("second replay of main: %v", err)
	}
	if got := testkit.Output(t, bin); got != "B v3" {
		t.Fatalf("after lib then main the program printed %q, want %q", got, "B v3")
	}
}

// TestReplayExportChanges: an edit that changes a package's export data
// (an exported constant, the body of an inlinable function, a struct
// field) replays: the package, then its importers in dependency order,
// then the link; and the program prints what go build's prints.
func TestReplayExportChanges(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":     "module example.com/ex\n\ngo 1.22\n",
		"main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/ex/lib\"\n\t\"example.com/ex/mid\"\n)\n\nfunc main() { fmt.Println(lib.V, lib.Small(), mid.Describe()) }\n",
		"lib/lib.go": "package lib\n\nconst V = \"one\"\n\nfunc Small() int { return 1 }\n\ntype T struct{ A int }\n",
		"mid/mid.go": "package mid\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/ex/lib\"\n)\n\nfunc Describe() string { return fmt.Sprint(lib.T{A: 2}) }\n",
	})
	r := learnedReplayer(t, dir)
	r.opts.Importers = listImporters(t, dir)
	ctx, bin := context.Background(), filepath.Join(t.TempDir(), "prog")
	libFile := filepath.Join(dir, "lib", "lib.go")
	for _, edit := range []struct{ name, src, want string }{
		{"an exported constant", "package lib\n\nconst V = \"two\"\n\nfunc Small() int { return 1 }\n\ntype T struct{ A int }\n", "two 1 {2}"},
		{"an inlinable body", "package lib\n\nconst V = \"two\"\n\nfunc Small() int { return 3 }\n\ntype T struct{ A int }\n", "two 3 {2}"},
		{"a struct field", "package lib\n\nconst V = \"two\"\n\nfunc Small() int { return 3 }\n\ntype T struct{ A, B int }\n", "two 3 {2 0}"},
	} {
		testkit.WriteFile(t, libFile, edit.src)
		if err := r.build(ctx, []string{libFile}, bin); err != nil {
			t.Fatalf("%s: replay: %v", edit.name, err)
		}
		if got := testkit.Output(t, bin); got != edit.want {
			t.Fatalf("%s: the replayed program printed %q, want %q", edit.name, got, edit.want)
		}
		if got := testkit.Output(t, goBuild(t, dir)); got != edit.want {
			t.Fatalf("%s: go build's program printed %q, want %q", edit.name, got, edit.want)
		}
	}
}

// listImporters is the build graph's Importers for the module in dir,
// from go list as golive's graph asks it.
func listImporters(t *testing.T, dir string) func(context.Context, string) ([]string, bool) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Name}} {{.ImportPath}} {{join .Imports \" \"}}{{end}}", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	importers := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		from := f[1]
		if f[0] == "main" {
			from = "main"
		}
		for _, imp := range f[2:] {
			importers[imp] = append(importers[imp], from)
		}
	}
	return func(_ context.Context, path string) ([]string, bool) { return importers[path], true }
}

// goBuild builds the module in dir with go build, as a user would.
func goBuild(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gobuild")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestReplayLearnsFromTheDryRun: a go build that found every package in
// the build cache teaches the recipe no compile; the go command's dry
// run does, and the first edit of each package then replays.
// Dry merges what it learned at once, off the save path, or, when a
// build holds the recipe, leaves it to the next build.
func TestReplayLearnsFromTheDryRun(t *testing.T) {
	t.Parallel()
	for _, duringBuild := range []bool{false, true} {
		t.Run(fmt.Sprintf("during a build %v", duringBuild), func(t *testing.T) {
			t.Parallel()
			testLearnsFromTheDryRun(t, duringBuild)
		})
	}
}

func testLearnsFromTheDryRun(t *testing.T, duringBuild bool) {
	// leaf imports nothing: the dry run writes its import config with
	// echo, not a here-document, and compiles it from the module's root.
	files := maps.Clone(testkit.LibModule)
	files["main.go"] = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/rp/leaf\"\n\t\"example.com/rp/lib\"\n)\n\nfunc main() { fmt.Println(lib.Word(), version+leaf.Name()) }\n"
	files["leaf/leaf.go"] = "package leaf\n\n//go:noinline\nfunc Name() string { return \"\" }\n"
	dir := testkit.WriteModule(t, files)
	learnedReplayer(t, dir) // compiles every package: the cache is warm now
	r := learnedReplayer(t, dir)
	if len(r.rec.pkgs) != 0 {
		t.Fatalf("a build from the cache taught %d compiles, want none", len(r.rec.pkgs))
	}
	gen, missing := r.Missing()
	if !missing {
		t.Fatal("the recipe lacks every compile, and Missing says nothing")
	}
	out := dryRunOf(t, dir)
	if duringBuild {
		r.mu.Lock() // as Build holds it
	}
	r.Dry(gen, string(out))
	if merged := len(r.rec.pkgs) > 0; merged == duringBuild {
		t.Fatalf("during a build %v: Dry merged the compiles at once: %v", duringBuild, merged)
	}
	if duringBuild {
		r.mu.Unlock()
	}
	ctx, bin := context.Background(), filepath.Join(t.TempDir(), "prog")
	testkit.WriteFile(t, filepath.Join(dir, "lib", "lib.go"), strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"b"`, 1))
	if err := r.build(ctx, []string{filepath.Join(dir, "lib", "lib.go")}, bin); err != nil {
		t.Fatalf("first edit of lib: %v", err)
	}
	if got := testkit.Output(t, bin); got != "B v1" {
		t.Fatalf("after the lib edit the program printed %q, want %q", got, "B v1")
	}
	testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	if err := r.build(ctx, []string{filepath.Join(dir, "version.go")}, bin); err != nil {
		t.Fatalf("first edit of main: %v", err)
	}
	if got := testkit.Output(t, bin); got != "B v2" {
		t.Fatalf("after the main edit the program printed %q, want %q", got, "B v2")
	}
	testkit.WriteFile(t, filepath.Join(dir, "leaf", "leaf.go"), "package leaf\n\n//go:noinline\nfunc Name() string { return \"-leaf\" }\n")
	if err := r.build(ctx, []string{filepath.Join(dir, "leaf", "leaf.go")}, bin); err != nil {
		t.Fatalf("first edit of leaf, which imports nothing: %v", err)
	}
	if got := testkit.Output(t, bin); got != "B v2-leaf" {
		t.Fatalf("after the leaf edit the program printed %q, want %q", got, "B v2-leaf")
	}
}

// TestReplayWaitsForTheDryRun: an edit of a package the recipe lacks,
// saved while the dry run that teaches it runs, waits for that dry run
// and replays; when the dry run ends with nothing, or a newer save
// comes, the edit goes to go build.
func TestReplayWaitsForTheDryRun(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	learnedReplayer(t, dir) // compiles every package: the cache is warm now
	lib := filepath.Join(dir, "lib", "lib.go")
	testkit.WriteFile(t, lib, strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"b"`, 1))
	out := dryRunOf(t, dir)
	for _, end := range []string{"answers", "fails", "newer save"} {
		t.Run(end, func(t *testing.T) {
			testkit.WriteFile(t, lib, testkit.LibModule["lib/lib.go"])
			r := learnedReplayer(t, dir)
			gen, missing := r.Missing()
			if !missing {
				t.Fatal("the recipe lacks every compile, and Missing says nothing")
			}
			r.DryStarted(gen)
			testkit.WriteFile(t, lib, strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"b"`, 1))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			bin := filepath.Join(t.TempDir(), "prog")
			built := make(chan error, 1)
			go func() { built <- r.Build(ctx, []string{lib}, bin) }()
			if err := buildHolds(t, r, built); err != nil {
				t.Fatalf("the edit saved while the dry run ran: %v, want a replay that waits for it", err)
			}
			switch end {
			case "answers":
				r.Dry(gen, string(out))
				r.DryEnded(gen)
			case "fails":
				r.DryEnded(gen)
			case "newer save":
				cancel()
			}
			err := <-built
			if end == "answers" {
				if err != nil {
					t.Fatalf("the edit saved while the dry run ran: %v, want a replay", err)
				}
				if got := testkit.Output(t, bin); got != "B v1" {
					t.Fatalf("the replayed program printed %q, want %q", got, "B v1")
				}
				return
			}
			if !errors.Is(err, ErrNoReplay) {
				t.Fatalf("after the dry run %s: %v, want go build", end, err)
			}
		})
	}
}

// TestReplayWaitsOnlyForAGoFile: while the dry run runs, a save of a file
// it cannot place (go.mod, a new Go file) goes to go build at once.
func TestReplayWaitsOnlyForAGoFile(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	learnedReplayer(t, dir) // compiles every package: the cache is warm now
	r := learnedReplayer(t, dir)
	gen, _ := r.Missing()
	r.DryStarted(gen) // and never ends
	for name, src := range map[string]string{
		"go.mod":     testkit.LibModule["go.mod"] + "\n",
		"lib/new.go": "package lib\n",
	} {
		f := filepath.Join(dir, filepath.FromSlash(name))
		testkit.WriteFile(t, f, src)
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
		err := r.Build(ctx, []string{f}, filepath.Join(t.TempDir(), "prog"))
		if ctx.Err() != nil {
			t.Errorf("%s saved: the build waited for the dry run, which cannot teach it", name)
		} else if !errors.Is(err, ErrNoReplay) {
			t.Errorf("%s saved: %v, want go build", name, err)
		}
		cancel()
	}
}

// dryRunOf is the output of the go command's dry run in dir.
func dryRunOf(t *testing.T, dir string) []byte {
	t.Helper()
	cmd := exec.Command("go", DryArgs([]string{"build", "-o", filepath.Join(t.TempDir(), "prog"), "."})...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	return out
}

// buildHolds waits until the build that reports on built holds the
// recipe (it waits for the dry run), or returns what it reported.
func buildHolds(t *testing.T, r *Replayer, built chan error) error {
	t.Helper()
	var err error
	testkit.Until(t, 0, "the build holding the recipe", func() bool {
		select {
		case err = <-built:
			return true
		default:
		}
		if r.mu.TryLock() {
			r.mu.Unlock()
			return false
		}
		return true
	})
	return err
}

// TestReplayLeavesToGoBuild lists the edits only go build may build.
func TestReplayLeavesToGoBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, src string
	}{
		{"exported API changed", "lib/more.go", "package lib\n\nconst Exported = 2\n"},
		{"import not in the package's config", "version.go", "package main\n\nimport _ \"net/http\"\n\nconst version = \"v2\"\n"},
		{"file switched off by a build constraint", "lib/more.go", "//go:build ignore\n\npackage lib\n\nconst Exported = 1\n"},
		{"build constraint edited, still true", "lib/more.go", "//go:build !never\n\npackage lib\n\nconst Exported = 1\n"},
		{"cgo", "version.go", "package main\n\nimport \"C\"\n\nconst version = \"v2\"\n"},
		{"embed", "version.go", "package main\n\nimport _ \"embed\"\n\n//go:embed go.mod\nvar mod string\n\nconst version = \"v2\"\n"},
		{"a new file", "lib/new.go", "package lib\n"},
		{"a file of another module", "../elsewhere.go", "package main\n"},
		{"a syntax error", "version.go", "package main\n\nconst version = \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := testkit.WriteModule(t, testkit.LibModule)
			r := learnedReplayer(t, dir)
			path := filepath.Join(dir, filepath.FromSlash(tt.file))
			testkit.WriteFile(t, path, tt.src)
			bin := filepath.Join(t.TempDir(), "prog")
			err := r.build(context.Background(), []string{filepath.Clean(path)}, bin)
			if err == nil {
				t.Fatalf("replay built %s; only go build may", tt.name)
			}
			if _, statErr := os.Stat(bin); statErr == nil {
				t.Errorf("a failed replay left a binary")
			}
			if tt.name != "a syntax error" && !errors.Is(err, ErrNoReplay) {
				t.Errorf("err = %v, want ErrNoReplay", err)
			}
		})
	}
}

func TestReplayForgetsAndRemovesWork(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	r := learnedReplayer(t, dir)
	work := r.rec.work
	if _, err := os.Stat(work); err != nil {
		t.Fatalf("the kept work directory: %v", err)
	}
	r.Forget()
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("forget left %s: %v", work, err)
	}
	if err := r.build(context.Background(), []string{filepath.Join(dir, "version.go")}, filepath.Join(t.TempDir(), "p")); !errors.Is(err, ErrNoReplay) {
		t.Errorf("replay without a recipe: %v", err)
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	c, ok := parseCommand(`GOROOT='/usr/local/go' /go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -trimpath "$WORK/b001=>" -X "main.v=a b" -w # internal`, "/tmp/w")
	if !ok {
		t.Fatal("not parsed")
	}
	want := []string{"/go/pkg/tool/linux_amd64/link", "-o", "/tmp/w/b001/exe/a.out", "-trimpath", "/tmp/w/b001=>", "-X", "main.v=a b", "-w"}
	if strings.Join(c.args, "|") != strings.Join(want, "|") || len(c.env) != 1 || c.env[0] != "GOROOT=/usr/local/go" {
		t.Errorf("parsed %q env %q, want %q", c.args, c.env, want)
	}
}

func TestSplitTraceKeepsDiagnostics(t *testing.T) {
	t.Parallel()
	out := "WORK=/tmp/w\nmkdir -p $WORK/b001/\ncat >/tmp/w/b001/importcfg << 'EOF' # internal\npackagefile fmt=/c/fmt.a\nEOF\ncd /src\n" +
		"cat /root/.cache/go-build/ab/abcd-d  # internal\nln -s /a /b\n" +
		"/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p main ./main.go\n# example.com/fx\n./main.go:3:1: syntax error: non-declaration statement outside function body\n"
	rest, work := SplitTrace(out)
	if work != "/tmp/w" {
		t.Errorf("work = %q", work)
	}
	if rest != "# example.com/fx\n./main.go:3:1: syntax error: non-declaration statement outside function body\n" {
		t.Errorf("rest = %q", rest)
	}
}

// TestReplaySeesWhatGoliveDoesNotWatch: a replay compiles only the batch's
// packages, so any other input that changed, with or without an event
// (an excluded file, assembly or .syso, a package outside the start
// directory), must send the build to go build.
func TestReplaySeesWhatGoliveDoesNotWatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"another package's file rewritten", func(t *testing.T, dir string) {
			testkit.WriteFile(t, filepath.Join(dir, "lib", "lib.go"), strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"z"`, 1))
		}},
		{"a .syso file added", func(t *testing.T, dir string) { testkit.WriteFile(t, filepath.Join(dir, "lib", "x.syso"), "") }},
		{"an assembly file added", func(t *testing.T, dir string) { testkit.WriteFile(t, filepath.Join(dir, "lib", "x_amd64.s"), "") }},
		{"a Go file removed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "lib", "more.go")) }},
		{"go.sum written", func(t *testing.T, dir string) { testkit.WriteFile(t, filepath.Join(dir, "go.sum"), "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := testkit.WriteModule(t, testkit.LibModule)
			r := learnedReplayer(t, dir)
			tt.change(t, dir)
			testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
			err := r.build(context.Background(), []string{filepath.Join(dir, "version.go")}, filepath.Join(t.TempDir(), "prog"))
			if !errors.Is(err, ErrNoReplay) {
				t.Fatalf("replay after %s: %v, want ErrNoReplay", tt.name, err)
			}
		})
	}
}

// TestReplayTrusts: a build whose inputs changed while it ran leaves no
// recipe; a go.work, a replace by a directory or a vendor directory does
// leave one.
func TestReplayTrusts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		late  bool // lib/lib.go saved after the build started
		learn bool
	}{
		{"nothing to distrust", nil, false, true},
		{"go.work", map[string]string{"go.work": "go 1.22\n\nuse .\n"}, false, true},
		{"replace by a directory", map[string]string{"go.mod": "module example.com/rp\n\ngo 1.22\n\nreplace example.com/x => ../x\n"}, false, true},
		{"vendor directory", map[string]string{"vendor/modules.txt": ""}, false, true},
		{"input rewritten during the build", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(testkit.LibModule)
			maps.Copy(files, tt.files)
			dir := testkit.WriteModule(t, files)
			testkit.FileClockPast()
			started := time.Now()
			if tt.late { // saved while the build runs, with no batch to follow
				testkit.WriteFile(t, filepath.Join(dir, "lib", "lib.go"), testkit.LibModule["lib/lib.go"])
			}
			out := goBuildTrace(t, dir)
			r := New(Options{Dir: dir, Main: dir, Env: os.Environ(), Context: goenv.BuildContext(os.Environ(), nil, nil), Out: filepath.Join(t.TempDir(), "replay")})
			r.Learn(out, started)
			t.Cleanup(r.Forget)
			if learned := r.rec != nil; learned != tt.learn {
				t.Fatalf("%s: learned a recipe = %v, want %v", tt.name, learned, tt.learn)
			}
		})
	}
}

// TestReplayBeyondTheModule: in a go.work workspace, and through a
// replace by a local directory, an edit of the other module's package
// replays and the program runs the new code; after a change of the
// module file that go build alone may judge (go.work, go.mod), it does
// not.
func TestReplayBeyondTheModule(t *testing.T) {
	t.Parallel()
	lib := map[string]string{
		"lib/go.mod": "module example.com/lib\n\ngo 1.22\n",
		"lib/lib.go": "package lib\n\n//go:noinline\nfunc Word() string { return \"A\" }\n",
	}
	app := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(lib.Word()) }\n"
	for _, shape := range []struct {
		name, moduleFile string
		files            map[string]string
	}{
		{"go.work", "go.work", map[string]string{
			"go.work":     "go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n",
			"app/go.mod":  "module example.com/app\n\ngo 1.22\n",
			"app/main.go": app,
		}},
		{"replace", "app/go.mod", map[string]string{
			"app/go.mod":  "module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
			"app/main.go": app,
		}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(shape.files)
			maps.Copy(files, lib)
			top := testkit.WriteModule(t, files)
			r := learnedReplayer(t, filepath.Join(top, "app"))
			ctx, bin := context.Background(), filepath.Join(t.TempDir(), "prog")
			libFile := filepath.Join(top, "lib", "lib.go")
			testkit.WriteFile(t, libFile, strings.Replace(lib["lib/lib.go"], `"A"`, `"B"`, 1))
			if err := r.build(ctx, []string{libFile}, bin); err != nil {
				t.Fatalf("replay of the other module's package: %v", err)
			}
			if got := testkit.Output(t, bin); got != "B" {
				t.Fatalf("after the edit the program printed %q, want B", got)
			}
			testkit.WriteFile(t, filepath.Join(top, filepath.FromSlash(shape.moduleFile)), files[shape.moduleFile]+"\n")
			testkit.WriteFile(t, libFile, strings.Replace(lib["lib/lib.go"], `"A"`, `"C"`, 1))
			if err := r.build(ctx, []string{libFile}, bin); !errors.Is(err, ErrNoReplay) {
				t.Fatalf("replay after %s changed: %v, want ErrNoReplay", shape.moduleFile, err)
			}
		})
	}
}

// TestReplayVendor: in a module that vendors its dependencies, an edit of
// the module's own package replays and runs the new code; an edit of a
// vendored file, or of vendor/modules.txt, goes to go build.
func TestReplayVendor(t *testing.T) {
	t.Parallel()
	top := testkit.WriteModule(t, map[string]string{
		"dep/go.mod":     "module example.com/dep\n\ngo 1.22\n",
		"dep/dep.go":     "package dep\n\n//go:noinline\nfunc Word() string { return \"A\" }\n",
		"app/go.mod":     "module example.com/app\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n",
		"app/main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/dep\"\n)\n\nfunc main() { fmt.Println(dep.Word(), version) }\n",
		"app/version.go": "package main\n\nconst version = \"v1\"\n",
	})
	dir := filepath.Join(top, "app")
	vendor := exec.Command("go", "mod", "vendor")
	vendor.Dir = dir
	vendor.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off")
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	r := learnedReplayer(t, dir)
	if r.rec.mod.vendor == "" {
		t.Fatal("the recipe does not know the vendor directory")
	}
	ctx, bin := context.Background(), filepath.Join(t.TempDir(), "prog")
	version := filepath.Join(dir, "version.go")
	testkit.WriteFile(t, version, "package main\n\nconst version = \"v2\"\n")
	if err := r.build(ctx, []string{version}, bin); err != nil {
		t.Fatalf("replay of main in a vendoring module: %v", err)
	}
	if got := testkit.Output(t, bin); got != "A v2" {
		t.Fatalf("the program printed %q, want %q", got, "A v2")
	}
	vendored := filepath.Join(dir, "vendor", "example.com", "dep", "dep.go")
	testkit.WriteFile(t, vendored, "package dep\n\n//go:noinline\nfunc Word() string { return \"B\" }\n")
	if err := r.build(ctx, []string{vendored}, bin); !errors.Is(err, ErrNoReplay) {
		t.Fatalf("replay of a vendored file's edit: %v, want ErrNoReplay", err)
	}
	// The vendored copy of the replaced module is what go build reads: a
	// change of it that no batch names (a git pull) stops a replay too.
	testkit.WriteFile(t, version, "package main\n\nconst version = \"v3\"\n")
	if err := r.build(ctx, []string{version}, bin); !errors.Is(err, ErrNoReplay) {
		t.Fatalf("replay of main after the vendored copy changed unseen: %v, want ErrNoReplay", err)
	}
	r = learnedReplayer(t, dir)
	modules := filepath.Join(dir, "vendor", "modules.txt")
	data, err := os.ReadFile(modules)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WriteFile(t, modules, string(data)+"# edited\n")
	testkit.WriteFile(t, version, "package main\n\nconst version = \"v3\"\n")
	if err := r.build(ctx, []string{version}, bin); !errors.Is(err, ErrNoReplay) {
		t.Fatalf("replay after vendor/modules.txt changed: %v, want ErrNoReplay", err)
	}
}

func goBuildTrace(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "build", "-x", "-work", "-o", filepath.Join(t.TempDir(), "prog"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTMPDIR="+t.TempDir(), "GOFLAGS=", "GOWORK=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return string(out)
}

// TestParseTraceLeavesOutOtherTools: a package whose build ran another
// tool (here go tool pack, which adds .syso objects to the archive) is
// left to go build, whatever directory the tool ran in.
func TestParseTraceLeavesOutOtherTools(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	for _, b := range []string{"b001", "b002", "b003"} {
		os.MkdirAll(filepath.Join(work, b), 0o755)
		testkit.WriteFile(t, filepath.Join(work, b, "importcfg"), "# import config\npackagefile fmt=/c/fmt.a\n")
	}
	// As go build writes it: the packages it compiled, by their archives in $WORK.
	testkit.WriteFile(t, filepath.Join(work, "b001", "importcfg.link"), "packagefile main=x\npackagefile example.com/a="+work+"/b002/_pkg_.a\npackagefile example.com/b="+work+"/b003/_pkg_.a\n")
	src := testkit.WriteModule(t, map[string]string{"a/a.go": "package a\n", "b/b.go": "package b\n", "main.go": "package main\n"})
	trace := strings.ReplaceAll("WORK="+work+"\n"+
		"cd /src/a\n/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -p example.com/a -importcfg $WORK/b002/importcfg -pack ./a.go\n"+
		"cd /src/b\n/go/pkg/tool/linux_amd64/compile -o $WORK/b003/_pkg_.a -p example.com/b -importcfg $WORK/b003/importcfg -pack ./b.go\n"+
		"cd /elsewhere\ngo tool pack r $WORK/b003/_pkg_.a /src/b/x.syso # internal\n"+
		"cd /src\n/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p main -importcfg $WORK/b001/importcfg -pack ./main.go\n"+
		"GOROOT='/go' /go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link $WORK/b001/_pkg_.a\n",
		"/src", src)
	rec, err := parseTrace(trace, src, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.pkgs[filepath.Join(src, "a", "a.go")] == nil || rec.pkgs[filepath.Join(src, "main.go")] == nil {
		t.Errorf("a and main should replay: %v", rec.pkgs)
	}
	if rec.pkgs[filepath.Join(src, "b", "b.go")] != nil {
		t.Errorf("b, packed with a .syso, must be left to go build")
	}
}

// TestReplaySeesEmbeddedFiles: a package that embeds files has its whole
// tree stamped, so a changed embedded file, which only go build puts in
// the binary, stops a replay of main.
func TestReplaySeesEmbeddedFiles(t *testing.T) {
	t.Parallel()
	files := maps.Clone(testkit.LibModule)
	files["lib/embed.go"] = "package lib\n\nimport _ \"embed\"\n\n//go:embed static/page.html\nvar Page string\n"
	files["lib/static/page.html"] = "<p>one</p>\n"
	dir := testkit.WriteModule(t, files)
	r := learnedReplayer(t, dir)
	if !r.rec.snap.trees[filepath.Join(dir, "lib")] {
		t.Fatalf("lib embeds, but its tree is not stamped")
	}
	testkit.WriteFile(t, filepath.Join(dir, "lib", "static", "page.html"), "<p>two</p>\n")
	testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	err := r.build(context.Background(), []string{filepath.Join(dir, "version.go")}, filepath.Join(t.TempDir(), "prog"))
	if !errors.Is(err, ErrNoReplay) {
		t.Fatalf("replay after an embedded file changed: %v, want ErrNoReplay", err)
	}
}

// TestKeptRecipeHoldsWhatReplayNeeds: the $WORK a session keeps holds
// the archives its recipe links and the import configs of its compiles,
// nothing else, and replays from it; a recipe whose $WORK is over the
// bound is not kept at all.
func TestKeptRecipeHoldsWhatReplayNeeds(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	r := learnedReplayer(t, dir)
	unused := filepath.Join(r.rec.work, "b099", "vet.cfg")
	testkit.WriteFile(t, unused, "a file no replay reads")
	size, err := r.rec.trim()
	if err != nil || size <= 0 {
		t.Fatalf("trim: %d bytes kept, %v", size, err)
	}
	if _, err := os.Stat(unused); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file no replay reads was kept: %v", err)
	}
	if err := r.rec.filesExist(); err != nil {
		t.Fatalf("trim removed a file the recipe uses: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "prog")
	testkit.WriteFile(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	if err := r.build(context.Background(), []string{filepath.Join(dir, "version.go")}, bin); err != nil {
		t.Fatalf("replay from the trimmed recipe: %v", err)
	}
	if got := testkit.Output(t, bin); got != "A v2" {
		t.Fatalf("the program printed %q, want %q", got, "A v2")
	}

	r.opts.Args = []string{"build", "-buildvcs=false", "-o", "OUT", "."}
	for _, c := range []struct {
		max  int64
		kept bool
	}{{1, false}, {maxKeptBytes, true}} {
		storeDir := filepath.Join(t.TempDir(), "x"+StoreSuffix)
		s := OpenStore(storeDir, r.opts)
		if s == nil {
			t.Fatal("no store")
		}
		s.maxKept = c.max
		s.Close(r)
		if _, err := os.Stat(s.file()); (err == nil) != c.kept {
			t.Errorf("bound %d bytes: recipe kept = %v, want %v", c.max, err == nil, c.kept)
		}
	}
}

// TestKeptRecipeKeepsWhatNoDryRunTeaches: the directories a dry run gave
// no compile (a vendored package's) stay known as such in a kept recipe:
// without that, every session of a vendoring module ran the dry run again.
func TestKeptRecipeKeepsWhatNoDryRunTeaches(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, testkit.LibModule)
	r := learnedReplayer(t, dir)
	if _, missing := r.Missing(); missing {
		t.Fatal("a recipe of a build that compiled every package lacks a compile")
	}
	untaught := filepath.Join(dir, "vendor", "example.com", "dep")
	r.rec.dirs = append(r.rec.dirs, untaught)
	r.rec.untaught = map[string]bool{untaught: true}
	k, err := keepRecipe(r.rec, r.seq, "key")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back keptRecipe
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	rec, err := back.recipe()
	if err != nil {
		t.Fatal(err)
	}
	next := New(r.opts)
	next.rec = rec
	if _, missing := next.Missing(); missing {
		t.Fatal("the next session's recipe asks a dry run for a directory the last one could not teach")
	}
}

// TestReplayedExternalLinkThroughLinker: a program with C code of its own
// links externally; a replayed link names extld's linker in place of the
// compiler go build named, which it then runs. Its first link asks the
// compiler Go's linker's questions, the second none, and the binary is
// the same bytes as the link that names the compiler itself.
func TestReplayedExternalLinkThroughLinker(t *testing.T) {
	t.Parallel()
	testkit.NeedCgo(t)
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":         "module example.com/c\n\ngo 1.22\n",
		"main.go":        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/c/twice\"\n)\n\nfunc main() { fmt.Println(version, twice.Of(21)) }\n",
		"version.go":     "package main\n\nconst version = \"one\"\n",
		"twice/twice.go": "package twice\n\n// int twice(int x) { return 2 * x; }\nimport \"C\"\n\nfunc Of(x int) int { return int(C.twice(C.int(x))) }\n",
	})
	r := learnedReplayer(t, dir)
	// The compiler go build named, through a log of its runs.
	logf := filepath.Join(t.TempDir(), "cc.log")
	logged := filepath.Join(t.TempDir(), "cc")
	testkit.WriteFile(t, logged, "#!/bin/sh\necho \"$*\" >> "+logf+"\nexec \"$GOLIVE_TEST_CC\" \"$@\"\n")
	if err := os.Chmod(logged, 0o755); err != nil {
		t.Fatal(err)
	}
	linker := extld.Linker(t.TempDir(), os.Environ(), nil)
	var asked []string
	linkerFor := func(cc string) (string, []string) {
		asked = append(asked, cc)
		path, env := linker(logged)
		return path, append(env, "GOLIVE_TEST_CC="+cc)
	}
	seen := 0
	count := func() (questions, links int) {
		data, _ := os.ReadFile(logf)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(data) == 0 {
			lines = nil
		}
		for _, l := range lines[seen:] {
			if strings.HasSuffix(l, "/trivial.c") {
				questions++
			} else {
				links++
			}
		}
		seen = len(lines)
		return questions, links
	}
	ctx, version := context.Background(), filepath.Join(dir, "version.go")
	replay := func(v string, through bool) []byte {
		t.Helper()
		r.opts.Linker = nil
		if through {
			r.opts.Linker = linkerFor
		}
		testkit.WriteFile(t, version, "package main\n\nconst version = \""+v+"\"\n")
		bin := filepath.Join(t.TempDir(), "prog")
		if err := r.build(ctx, []string{version}, bin); err != nil {
			t.Fatalf("replay of %s: %v", v, err)
		}
		if got := testkit.Output(t, bin); got != v+" 42" {
			t.Fatalf("the replayed program printed %q, want %q", got, v+" 42")
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	direct := replay("two", false)
	replay("three", true)
	if q, l := count(); q == 0 || l != 1 {
		t.Errorf("the first link through the linker: %d questions and %d links, want its questions asked and one link", q, l)
	}
	through := replay("two", true)
	if q, l := count(); q != 0 || l != 1 {
		t.Errorf("the second link through the linker: %d questions and %d links, want none asked again and one link", q, l)
	}
	if len(asked) != 2 || asked[0] == "" || asked[0] != asked[1] {
		t.Fatalf("Linker asked for %q, want twice the compiler go build named", asked)
	}
	if !bytes.Equal(direct, through) {
		t.Error("the binary linked through the linker differs from the one linked with the compiler named")
	}
}

func TestThroughLinkerRewritesOneExtld(t *testing.T) {
	r := New(Options{Linker: func(cc string) (string, []string) { return "/l/" + cc, []string{"V=1"} }})
	for _, tc := range []struct{ args, want []string }{
		{[]string{"link", "-o", "x", "-extld=gcc", "a.a"}, []string{"link", "-o", "x", "-extld=/l/gcc", "a.a"}},
		{[]string{"link", "-o", "x", "a.a"}, []string{"link", "-o", "x", "a.a"}},
		{[]string{"link", "-extld=gcc", "-extld=clang", "a.a"}, []string{"link", "-extld=gcc", "-extld=clang", "a.a"}},
		{[]string{"link", "-extld", "gcc", "a.a"}, []string{"link", "-extld", "gcc", "a.a"}},
	} {
		got := r.throughLinker(command{args: tc.args})
		if !slices.Equal(got.args, tc.want) {
			t.Errorf("throughLinker(%q) = %q, want %q", tc.args, got.args, tc.want)
		}
		if changed := !slices.Equal(tc.args, tc.want); changed != slices.Contains(got.env, "V=1") {
			t.Errorf("throughLinker(%q): env %q", tc.args, got.env)
		}
	}
}
