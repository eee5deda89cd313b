//go:build linux

package builder

import (
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// session is one golive session's builder on dir: it takes up the store,
// runs the first build as the runner does (changes unknown) and lets the
// store go, keeping its recipe for the next session.
func session(t *testing.T, dir string, env []string) runner.BuildResult {
	t.Helper()
	b := keepingBuilder(t, dir, env)
	defer b.Close()
	testkit.FileClockPast() // the edits before it are older than the build's start
	res := b.Build(context.Background(), nil)
	if res.Err != nil || res.Failed {
		t.Fatalf("first build of a session: %+v", res)
	}
	return res
}

func keepingBuilder(t *testing.T, dir string, env []string) *Builder {
	t.Helper()
	work, err := NewWorkDir(dir, "fx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { work.Remove() })
	return New(Options{Dir: dir, Package: ".", Env: env, Work: work, Replay: true, KeepRecipe: true})
}

// storeTest gives a test its own user cache, where the store lives.
func storeTest(t *testing.T) []string {
	// newTestBuilder sets GOCACHE and a fresh XDG_CACHE_HOME; the sweep its
	// work directory starts must not run beside the test's own.
	_, work := newTestBuilder(t, t.TempDir())
	<-work.swept
	return os.Environ()
}

func TestKeptRecipeBuildsTheNextSession(t *testing.T) {
	env := storeTest(t)
	dir := testkit.WriteModule(t, testkit.LibModule)
	if res := session(t, dir, env); res.Replayed {
		t.Fatalf("first session ever: %+v, want go build", res)
	}

	// Nothing changed: the link alone.
	res := session(t, dir, env)
	if !res.Replayed || testkit.Output(t, res.Binary) != "A v1" {
		t.Fatalf("unchanged tree: replayed %v, printed %q; want a replay printing %q", res.Replayed, testkit.Output(t, res.Binary), "A v1")
	}

	// Edits while no golive ran, with no event to say so: the snapshot
	// finds them, and the replay compiles main and lib.
	write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
	write(t, filepath.Join(dir, "lib", "lib.go"), strings.Replace(testkit.LibModule["lib/lib.go"], `"a"`, `"b"`, 1))
	res = session(t, dir, env)
	if !res.Replayed || testkit.Output(t, res.Binary) != "B v2" {
		t.Fatalf("after edits between sessions: replayed %v, printed %q; want a replay printing %q", res.Replayed, testkit.Output(t, res.Binary), "B v2")
	}

	// The recipe the replay moved on is the one kept.
	res = session(t, dir, env)
	if !res.Replayed || testkit.Output(t, res.Binary) != "B v2" {
		t.Fatalf("session after a replayed one: replayed %v, printed %q", res.Replayed, testkit.Output(t, res.Binary))
	}
}

// TestKeptRecipeLeavesToGoBuild lists what happens between two sessions
// that only go build may follow. The second session must build with go
// build and give the program of the tree as it is.
func TestKeptRecipeLeavesToGoBuild(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir, store string) []string // the second session's environment, if it changes
		want   string
	}{
		{"a new file in a package", func(t *testing.T, dir, _ string) []string {
			write(t, filepath.Join(dir, "lib", "new.go"), "package lib\n\nfunc init() { println(\"new\") }\n")
			return nil
		}, "new\nA v1"},
		{"a file removed", func(t *testing.T, dir, _ string) []string {
			os.Remove(filepath.Join(dir, "lib", "more.go"))
			return nil
		}, "A v1"},
		{"the exported API of a package changed", func(t *testing.T, dir, _ string) []string {
			write(t, filepath.Join(dir, "lib", "more.go"), "package lib\n\nconst Exported = 2\n")
			return nil
		}, "A v1"},
		{"go.mod rewritten", func(t *testing.T, dir, _ string) []string {
			write(t, filepath.Join(dir, "go.mod"), testkit.LibModule["go.mod"])
			return nil
		}, "A v1"},
		{"a default.pgo added", func(t *testing.T, dir, _ string) []string {
			writeProfile(t, filepath.Join(dir, "default.pgo"))
			return nil
		}, "A v1"},
		{"another environment", func(t *testing.T, dir, _ string) []string {
			write(t, filepath.Join(dir, "version.go"), "package main\n\nconst version = \"v2\"\n")
			return append(os.Environ(), "CGO_ENABLED=0")
		}, "A v2"},
		{"go's work files gone", func(t *testing.T, dir, store string) []string {
			os.RemoveAll(filepath.Join(store, "tmp"))
			return nil
		}, "A v1"},
		{"a damaged recipe file", func(t *testing.T, dir, store string) []string {
			write(t, filepath.Join(store, "recipe.json"), `{"Key":`)
			return nil
		}, "A v1"},
		{"a recipe file with no commands", func(t *testing.T, dir, store string) []string {
			data, err := os.ReadFile(filepath.Join(store, "recipe.json"))
			if err != nil {
				t.Fatal(err)
			}
			key, _, _ := strings.Cut(string(data), `,"Seq"`)
			write(t, filepath.Join(store, "recipe.json"), key+"}")
			return nil
		}, "A v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := storeTest(t)
			dir := testkit.WriteModule(t, testkit.LibModule)
			session(t, dir, env)
			if res := session(t, dir, env); !res.Replayed {
				t.Fatalf("the second session of an unchanged tree was not a replay: %+v", res)
			}
			work, _ := NewWorkDir(dir, "fx")
			store := work.recipe
			work.Remove()
			if e := tt.change(t, dir, store); e != nil {
				env = e
			}
			res := session(t, dir, env)
			if res.Replayed {
				t.Fatalf("after %s the first build was a replay", tt.name)
			}
			if got := testkit.Output(t, res.Binary); got != tt.want {
				t.Fatalf("after %s the program printed %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

// TestKeptRecipeOneSessionAtATime: a second session on the same project
// builds without the store, and the recipe on disk is only ever one no
// session uses.
func TestKeptRecipeOneSessionAtATime(t *testing.T) {
	env := storeTest(t)
	dir := testkit.WriteModule(t, testkit.LibModule)
	session(t, dir, env)

	first := keepingBuilder(t, dir, env)
	work, _ := NewWorkDir(dir, "fx")
	store := work.recipe
	if _, err := os.Stat(filepath.Join(store, "recipe.json")); !os.IsNotExist(err) {
		t.Fatalf("recipe.json while a session holds the recipe: %v, want it gone", err)
	}
	second := keepingBuilder(t, dir, env)
	if second.store != nil {
		t.Fatal("a second session took the store the first one holds")
	}
	testkit.FileClockPast()
	if res := second.Build(context.Background(), nil); res.Err != nil || res.Failed || res.Replayed {
		t.Fatalf("second session's first build: %+v, want go build", res)
	}
	second.Close()
	if _, err := os.Stat(filepath.Join(store, "recipe.json")); !os.IsNotExist(err) {
		t.Fatalf("the second session wrote a recipe into a store it does not hold: %v", err)
	}
	if res := first.Build(context.Background(), nil); !res.Replayed || testkit.Output(t, res.Binary) != "A v1" {
		t.Fatalf("first session's build: %+v, want a replay", res)
	}
	first.Close()
	if res := session(t, dir, env); !res.Replayed {
		t.Fatalf("a session after both: %+v, want a replay of the kept recipe", res)
	}
}

// TestKeptRecipeFollowsSymlinks: go build reads a symlinked source file's
// target, so an edit of the target while no golive ran, which leaves the
// link alone, must reach the next session's program.
func TestKeptRecipeFollowsSymlinks(t *testing.T) {
	env := storeTest(t)
	dir := testkit.WriteModule(t, testkit.LibModule)
	target := filepath.Join(t.TempDir(), "version.go")
	write(t, target, testkit.LibModule["version.go"])
	link := filepath.Join(dir, "version.go")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	session(t, dir, env)
	if res := session(t, dir, env); !res.Replayed {
		t.Fatalf("the second session of an unchanged tree was not a replay: %+v", res)
	}
	write(t, target, "package main\n\nconst version = \"v2\"\n")
	if got := testkit.Output(t, session(t, dir, env).Binary); got != "A v2" {
		t.Fatalf("after an edit of a symlinked file's target the program printed %q, want %q", got, "A v2")
	}
}

// writeProfile writes a CPU profile, as -pgo reads, to path.
func writeProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	pprof.StopCPUProfile()
}

// TestKeptRecipeNestedModule: a go.mod that appears in a package's
// directory makes it a module of its own, which the main module does not
// require: go build fails, and so must the next session's first build.
func TestKeptRecipeNestedModule(t *testing.T) {
	env := storeTest(t)
	dir := testkit.WriteModule(t, testkit.LibModule)
	session(t, dir, env)
	if res := session(t, dir, env); !res.Replayed {
		t.Fatalf("the second session of an unchanged tree was not a replay: %+v", res)
	}
	write(t, filepath.Join(dir, "lib", "go.mod"), "module example.com/rp/lib\n\ngo 1.22\n")
	b := keepingBuilder(t, dir, env)
	defer b.Close()
	testkit.FileClockPast()
	if res := b.Build(context.Background(), nil); !res.Failed {
		t.Fatalf("first build after lib/go.mod appeared: %+v, want go build's failure", res)
	}
}

// TestReplayOffWithGOFLAGSModfile: a -modfile in GOFLAGS, from the
// environment or from go env -w, names a file no snapshot stamps, so
// there are no replays, in a session or from one to the next: an edit of
// that file between sessions (its go line, which sets the binary's
// default GODEBUG) reaches the binary.
func TestReplayOffWithGOFLAGSModfile(t *testing.T) {
	for _, from := range []string{"environment", "go env file"} {
		t.Run(from, func(t *testing.T) {
			env := storeTest(t)
			dir := testkit.WriteModule(t, testkit.LibModule)
			write(t, filepath.Join(dir, "alt.mod"), testkit.LibModule["go.mod"])
			if from == "environment" {
				env = append(env, "GOFLAGS=-modfile=alt.mod")
			} else {
				goenv := filepath.Join(t.TempDir(), "env")
				write(t, goenv, "GOFLAGS=-modfile=alt.mod\n")
				env = append(env, "GOENV="+goenv)
			}
			session(t, dir, env)
			if res := session(t, dir, env); res.Replayed {
				t.Fatalf("a replay with -modfile in GOFLAGS: %+v", res)
			}
			write(t, filepath.Join(dir, "alt.mod"), strings.Replace(testkit.LibModule["go.mod"], "go 1.22", "go 1.21", 1))
			got := defaultGODEBUG(t, session(t, dir, env).Binary)
			ref := filepath.Join(t.TempDir(), "ref")
			cmd := exec.Command("go", "build", "-o", ref, ".")
			cmd.Dir, cmd.Env = dir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			if want := defaultGODEBUG(t, ref); got != want {
				t.Fatalf("after alt.mod's go line changed the binary has DefaultGODEBUG %q, go build gives %q", got, want)
			}
		})
	}
}

func defaultGODEBUG(t *testing.T, bin string) string {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Settings {
		if s.Key == "DefaultGODEBUG" {
			return s.Value
		}
	}
	return ""
}

// TestKeptRecipeFollowsAVersionShim: a go on PATH that is a version
// manager's shim picks the toolchain by a file of the project, which no
// stamp follows; after the pick changed, the next session's program is
// the new toolchain's, as go build makes it. (The "other" toolchain is
// the same one by another path, which the program reports as its GOROOT.)
func TestKeptRecipeFollowsAVersionShim(t *testing.T) {
	env := storeTest(t)
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	realRoot := strings.TrimSpace(string(out))
	other := filepath.Join(t.TempDir(), "goroot")
	if err := os.Symlink(realRoot, other); err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	write(t, filepath.Join(shims, "go"), "#!/bin/sh\nroot=$(cat .go-root 2>/dev/null) || root="+realRoot+"\nGOROOT=$root exec "+realRoot+"/bin/go \"$@\"\n")
	if err := os.Chmod(filepath.Join(shims, "go"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	env = append(env, "PATH="+os.Getenv("PATH"))

	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":  "module example.com/shim\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"runtime\"\n\nfunc main() { println(runtime.GOROOT()) }\n",
	})
	goroot := func(bin string) string {
		t.Helper()
		cmd := exec.Command(bin)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GOROOT=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %s: %v\n%s", bin, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	session(t, dir, env)
	if res := session(t, dir, env); !res.Replayed || goroot(res.Binary) != realRoot {
		t.Fatalf("second session: replayed %v, GOROOT %q; want a replay with %q", res.Replayed, goroot(res.Binary), realRoot)
	}
	write(t, filepath.Join(dir, ".go-root"), other)
	if got := goroot(session(t, dir, env).Binary); got != other {
		t.Fatalf("after the shim picked another toolchain the program's GOROOT is %q, want %q", got, other)
	}
}

// TestStoresOfGoneProjectsAreSwept: a store whose project directory is
// gone is removed by the next golive, whatever project that one is for,
// unless a session still holds it.
func TestStoresOfGoneProjectsAreSwept(t *testing.T) {
	env := storeTest(t)
	kept := testkit.WriteModule(t, testkit.LibModule)
	gone := testkit.WriteModule(t, testkit.LibModule)
	held := testkit.WriteModule(t, testkit.LibModule)
	session(t, kept, env)
	session(t, gone, env)
	holder := keepingBuilder(t, held, env)
	defer holder.Close()
	storeOf := func(dir string) string {
		w, err := NewWorkDir(dir, "fx")
		if err != nil {
			t.Fatal(err)
		}
		<-w.swept
		w.Remove()
		return w.recipe
	}
	keptStore, goneStore, heldStore := storeOf(kept), storeOf(gone), storeOf(held)
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(held); err != nil {
		t.Fatal(err)
	}
	storeOf(t.TempDir()) // another project's golive starts
	if _, err := os.Stat(goneStore); !os.IsNotExist(err) {
		t.Errorf("the store of a removed project is still there: %v", err)
	}
	for _, s := range []string{keptStore, heldStore} {
		if _, err := os.Stat(s); err != nil {
			t.Errorf("store %s was swept: %v", s, err)
		}
	}
}
