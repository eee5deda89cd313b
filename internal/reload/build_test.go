package reload

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/builder"
)

func newTestBuilder(t *testing.T, files map[string]string, opts builder.Options) (*Builder, Tree) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	opts.Dir = dir
	b, err := NewBuilder(Options{Build: opts, Packages: []string{"./greeter"}, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return b, b.Trees()[0]
}

func TestNewBuilderResolvesTrees(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":           "module example.com/app\n",
		"a/b/greeter/g.go": "package greeter\n",
	})
	start := filepath.Join(dir, "a")
	b, err := NewBuilder(Options{Build: builder.Options{Dir: start}, Packages: []string{"./b/greeter"}, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tree, ok := b.Tree("b/greeter")
	if !ok || tree.ImportPath != "example.com/app/a/b/greeter" || tree.Dir != filepath.Join(dir, "a/b/greeter") {
		t.Errorf("tree %+v, %v", tree, ok)
	}
	for pkg, want := range map[string]string{
		"./nope": "plugin package ./nope: not a directory",
		"..":     "plugin package ..: the module's root cannot be a plugin; use a package below it",
	} {
		_, err := NewBuilder(Options{Build: builder.Options{Dir: start}, Packages: []string{pkg}, Out: t.TempDir()})
		if err == nil || err.Error() != want {
			t.Errorf("NewBuilder(%s): %v, want %s", pkg, err, want)
		}
	}
	if _, err := NewBuilder(Options{Build: builder.Options{Dir: t.TempDir()}, Packages: []string{"."}, Out: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "not in a Go module") {
		t.Errorf("outside a module: %v", err)
	}
}

func TestOverlayCopiesTheTree(t *testing.T) {
	t.Parallel()
	b, tree := newTestBuilder(t, map[string]string{
		"go.mod":                     "module example.com/app\n",
		"greeter/g.go":               "package greeter\n\nimport _ \"example.com/app/greeter/sub\"\n",
		"greeter/g_test.go":          "package greeter\n",
		"greeter/page.html":          "<p>hi</p>",
		"greeter/sub/s.go":           "package sub\n",
		"greeter/testdata/t.go":      "package broken(",
		"greeter/_old/o.go":          "package broken(",
		"greeter/nested/go.mod":      "module other\n",
		"greeter/nested/n.go":        "package nested\n",
		"greeter/.hidden/h.go":       "package broken(",
		"greeter/sub/deeper/page.md": "x",
	}, builder.Options{})
	p := &Plugin{Tree: tree, Attempt: 7, start: b.opts.Build.Dir,
		vdir: filepath.Join(b.opts.Build.Dir, "_golive/7/greeter"), vpath: "example.com/app/_golive/7/greeter",
		ovDir: filepath.Join(b.out, "7")}
	overlay, diags, err := writeOverlay(tree, p)
	if err != nil || diags != nil {
		t.Fatal(err, diags)
	}
	data, _ := os.ReadFile(overlay)
	var o struct{ Replace map[string]string }
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	var got []string
	for virtual, real := range o.Replace {
		rel, _ := filepath.Rel(p.vdir, virtual)
		got = append(got, filepath.ToSlash(rel))
		if strings.HasSuffix(rel, ".go") != strings.HasPrefix(real, p.ovDir) {
			t.Errorf("%s → %s: Go files are rewritten copies, other files the originals", rel, real)
		}
	}
	slices.Sort(got)
	if want := []string{"g.go", "page.html", "sub/deeper/page.md", "sub/s.go"}; !slices.Equal(got, want) {
		t.Errorf("overlay holds %q, want %q", got, want)
	}
	copied, _ := os.ReadFile(o.Replace[filepath.Join(p.vdir, "g.go")])
	if string(copied) != "package main\n\nimport _ \"example.com/app/_golive/7/greeter/sub\"\n" {
		t.Errorf("copy of g.go:\n%s", copied)
	}
}

func TestBuildReportsBrokenHeadersWithoutGoBuild(t *testing.T) {
	t.Parallel()
	b, tree := newTestBuilder(t, map[string]string{
		"go.mod":         "module example.com/app\n",
		"greeter/g.go":   "package greeter\n\nimport (\n\t\"fmt\"\n",
		"greeter/ok.go":  "package greeter\n",
		"greeter/x/x.go": "package x\nimport \"fmt\n",
	}, builder.Options{Env: []string{"PATH=/nonexistent"}}) // go build would not even start
	res := b.Build(context.Background(), tree)
	if !res.Failed || res.Err != nil {
		t.Fatalf("build: %+v", res)
	}
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := []string{"greeter/g.go:4:8: expected ')', found 'EOF'", "greeter/x/x.go:2:8: string literal not terminated"}
	if !slices.Equal(got, want) {
		t.Errorf("diagnostics %q, want %q", got, want)
	}
}

func TestArgsAreTheProgramsWithPluginMode(t *testing.T) {
	t.Parallel()
	opts := builder.Options{Flags: []string{"-race", "-trimpath"}, Tags: []string{BuildTag, "dev"}, LDFlags: "-X main.v=1"}
	b, tree := newTestBuilder(t, map[string]string{"go.mod": "module example.com/app\n", "greeter/g.go": "package greeter\n"}, opts)
	p := &Plugin{Tree: tree, File: "/out/greeter-3.so", vpath: "example.com/app/_golive/3/greeter"}
	got := b.args(p, "/out/3/overlay.json")
	host := builder.Args(opts, "/out/greeter-3.so")
	want := append([]string{"build", "-buildmode=plugin", "-overlay=/out/3/overlay.json"}, host[1:len(host)-1]...)
	want = append(want, "example.com/app/_golive/3/greeter")
	if !slices.Equal(got, want) {
		t.Errorf("args\n%q\nwant\n%q", got, want)
	}
}
