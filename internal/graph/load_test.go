package graph

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

// TestLoad: one go list names what the build reads: the main module's
// compiled and embedded files, a local replace target outside the start
// directory with its go.mod, and nothing of an unrelated package, a test
// file, a file a build constraint leaves out or the standard library.
func TestLoad(t *testing.T) {
	t.Parallel()
	top := testkit.WriteModule(t, map[string]string{
		"app/go.mod":          "module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		"app/main.go":         "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/app/web\"\n\t\"example.com/lib\"\n)\n\n//go:embed banner.txt\nvar banner string\n\nfunc main() { web.Serve(); lib.Hello() }\n",
		"app/main_test.go":    "package main\n",
		"app/other_linux.go":  "//go:build ignore\n\npackage main\n",
		"app/banner.txt":      "hi",
		"app/web/web.go":      "package web\n\nimport \"embed\"\n\n//go:embed static\nvar Static embed.FS\n\nfunc Serve() {}\n",
		"app/web/static/a.js": "a",
		"app/unused/u.go":     "package unused\n",
		"lib/go.mod":          "module example.com/lib\n\ngo 1.22\n",
		"lib/lib.go":          "package lib\n\nimport \"fmt\"\n\nfunc Hello() { fmt.Println() }\n",
	})
	g, err := Load(t.Context(), filepath.Join(top, "app"), ".", nil, nil, append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for f := range g.Files {
		files = append(files, f)
	}
	slices.Sort(files)
	want := "../lib/go.mod ../lib/lib.go banner.txt go.mod main.go web/static/a.js web/web.go"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("Files:\n got %s\nwant %s", got, want)
	}
	if !slices.Equal(g.EmbedDirs, []string{"web/static/"}) || g.Embedded != 2 {
		t.Errorf("EmbedDirs %v, Embedded %d; want [web/static/] and 2", g.EmbedDirs, g.Embedded)
	}
	if !slices.Equal(g.Outside, []string{filepath.Join(top, "lib")}) {
		t.Errorf("Outside %v, want [%s]", g.Outside, filepath.Join(top, "lib"))
	}
	for rel, want := range map[string]bool{"new.go": true, "web/new.go": true, "go.sum": true, "../lib/go.sum": true, "web/go.sum": false, "new_test.go": false, "unused/v.go": false, "../lib/more.go": true} {
		if got := g.MayJoin(rel); got != want {
			t.Errorf("MayJoin(%s) = %v, want %v", rel, got, want)
		}
	}
	if !g.Has("web/static/later.css") || g.Has("unused/u.go") || g.Has("main_test.go") || g.Has("other_linux.go") {
		t.Error("Has: an embedded directory's new file is read, an unused package, a test and an excluded file are not")
	}
	// Importers, as a replay names packages: the main package is "main".
	for path, want := range map[string][]string{"example.com/app/web": {"main"}, "example.com/lib": {"main"}, "embed": {"example.com/app/web", "main"}, "fmt": {"example.com/lib"}} {
		got := slices.Sorted(slices.Values(g.Importers[path]))
		if !slices.Equal(got, want) {
			t.Errorf("Importers[%s] = %v, want %v", path, got, want)
		}
	}
}

// TestLoadWorkspace: a go.work module outside the start directory is read
// from where it lies, and go.work is a file of the build.
func TestLoadWorkspace(t *testing.T) {
	t.Parallel()
	top := testkit.WriteModule(t, map[string]string{
		"go.work":     "go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n",
		"app/go.mod":  "module example.com/app\n\ngo 1.22\n",
		"app/main.go": "package main\n\nimport \"example.com/lib\"\n\nfunc main() { lib.Hello() }\n",
		"lib/go.mod":  "module example.com/lib\n\ngo 1.22\n",
		"lib/lib.go":  "package lib\n\nfunc Hello() {}\n",
	})
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") || strings.HasPrefix(kv, "GOWORK=") })
	g, err := Load(t.Context(), filepath.Join(top, "app"), ".", nil, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.go", "go.mod", "../lib/lib.go", "../lib/go.mod", "../go.work"} {
		if !g.Files[f] {
			t.Errorf("Files lacks %s: %v", f, g.Files)
		}
	}
}

// TestLoadVendor: a vendored package is read from vendor/, with
// vendor/modules.txt, and not from the replace target it was copied from.
func TestLoadVendor(t *testing.T) {
	t.Parallel()
	top := testkit.WriteModule(t, map[string]string{
		"app/go.mod":  "module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		"app/main.go": "package main\n\nimport \"example.com/lib\"\n\nfunc main() { lib.Hello() }\n",
		"lib/go.mod":  "module example.com/lib\n\ngo 1.22\n",
		"lib/lib.go":  "package lib\n\nfunc Hello() {}\n",
	})
	env := append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") }), "GOWORK=off")
	app := filepath.Join(top, "app")
	vendor := exec.Command("go", "mod", "vendor")
	vendor.Dir, vendor.Env = app, env
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	g, err := Load(t.Context(), app, ".", nil, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Sorted(maps.Keys(g.Files))
	want := "go.mod main.go vendor/example.com/lib/lib.go vendor/modules.txt"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("Files:\n got %s\nwant %s", got, want)
	}
}

// TestLoadFails: a broken go.mod is one line naming the problem.
func TestLoadFails(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.22\nrequire (\n", "main.go": "package main\n\nfunc main() {}\n"})
	_, err := Load(t.Context(), dir, ".", nil, nil, os.Environ())
	if err == nil || !strings.HasPrefix(err.Error(), "go list: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Load with a broken go.mod: %v; want one line from go list", err)
	}
}

// TestListFlags: the build flags that select files go to go list, with
// their values, whichever way they are written; the others do not.
func TestListFlags(t *testing.T) {
	got := ListFlags([]string{"-race", "-tags=dev", "-trimpath", "-mod", "vendor", "--tags", "a,b", "-gcflags=all=-N", "-modfile=dev.mod", "-v"})
	want := []string{"-race", "-tags=dev", "-mod", "vendor", "--tags", "a,b", "-modfile=dev.mod"}
	if !slices.Equal(got, want) {
		t.Errorf("ListFlags = %q, want %q", got, want)
	}
}
