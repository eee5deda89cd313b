//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The shapes scenario's projects (issue 15): one small program in four
// shapes of project, each with a package, edit, that the scenario's saves
// rewrite. edit's Body returns an unexported constant and cannot be
// inlined, so a save of body.go keeps the package's export data; a save of
// version.go changes the exported constant main serves, and with it the
// export data of edit and of front, the second package that imports it.

// projectShape is a kind of project the go command builds.
type projectShape int

const (
	shapePlain   projectShape = iota // one module
	shapeVendor                      // a module with vendor/, a local replace target vendored
	shapeWork                        // a go.work of three modules, one reaching a fourth by replace
	shapeReplace                     // a module whose edited package is in a local replace target
)

var projectShapes = []projectShape{shapePlain, shapeVendor, shapeWork, shapeReplace}

// name is the shape in the report.
func (s projectShape) name() string {
	return [...]string{"plain module", "vendor/", "go.work", "local replace"}[s]
}

// tag is the shape in file names.
func (s projectShape) tag() string {
	return [...]string{"plain", "vendor", "work", "replace"}[s]
}

// about says what the edit is and where, for the report.
func (s projectShape) about() string {
	return [...]string{
		"one module; edit is one of its packages",
		"a module with `vendor/` (`go mod vendor` of a local `replace` target); edit is one of the module's own packages",
		"a `go.work` of app, lib1 and lib2, lib1 reaching a fourth module, ext, by a local `replace`; edit is in lib1",
		"a module with a local `replace` target, rlib; edit is in rlib",
	}[s]
}

// shapeSize is how big each module of a shapes project is.
type shapeSize struct {
	Packages int // the main module's internal packages, as the latency fixture's
	Files    int // .go files in each of them
	Libs     int // packages of each other module, one file each
}

// shapeFixture is one copy of a shapes project on disk.
type shapeFixture struct {
	top  string // the project: app/ and the modules beside it
	dir  string // app/, the main module: where go build and golive run
	edit string // the edited package's directory
	kind projectShape
}

// Module paths of the shapes projects' other modules.
const (
	vendoredModule = "example.com/vlib"
	replaceModule  = "example.com/rlib"
	extModule      = "example.com/ext"
)

// newShapeFixture writes a project of kind into top. env is go's
// environment, for go mod vendor.
func newShapeFixture(ctx context.Context, top string, kind projectShape, size shapeSize, env []string) (*shapeFixture, error) {
	sf := &shapeFixture{top: top, dir: filepath.Join(top, "app"), kind: kind}
	app := &fixture{dir: sf.dir, shape: shape{Packages: size.Packages, Files: size.Files}}
	for p := 0; p < size.Packages; p++ {
		for i := 0; i < size.Files; i++ {
			if err := app.write(app.goFile(p, i), app.packageSource(p, i, "t0")); err != nil {
				return nil, err
			}
		}
	}
	gomod := fmt.Sprintf("module %s\n\ngo %s\n", modulePath, langVersion())
	imports := map[string]string{} // name in main → import path, besides edit and front
	for p := 0; p < size.Packages; p++ {
		imports[pkgName(p)] = modulePath + "/internal/" + pkgName(p)
	}
	editMod, editDir := modulePath+"/internal", filepath.Join(sf.dir, "internal")
	var frontImports []string // what front imports besides edit
	switch kind {
	case shapeVendor:
		gomod += localRequire(vendoredModule, "../vlib")
		if err := writeLibModule(filepath.Join(top, "vlib"), vendoredModule, 1, size.Libs, ""); err != nil {
			return nil, err
		}
		addLibImports(imports, "v", vendoredModule, size.Libs)
	case shapeWork:
		work := fmt.Sprintf("go %s\n\nuse (\n\t./app\n\t./lib1\n\t./lib2\n)\n", langVersion())
		if err := os.WriteFile(filepath.Join(top, "go.work"), []byte(work), 0o644); err != nil {
			return nil, err
		}
		for m, mod := range []string{libModule(1), libModule(2), extModule} {
			extra := ""
			if m == 0 {
				extra = localRequire(extModule, "../ext")
			}
			dir := filepath.Join(top, filepath.Base(mod))
			if err := writeLibModule(dir, mod, m+1, size.Libs, extra); err != nil {
				return nil, err
			}
			if mod != extModule {
				addLibImports(imports, fmt.Sprintf("l%d", m+1), mod, size.Libs)
			}
		}
		editMod, editDir = libModule(1), filepath.Join(top, "lib1")
		frontImports = []string{extModule + "/" + pkgName(0)}
	case shapeReplace:
		gomod += localRequire(replaceModule, "../rlib")
		rlib := filepath.Join(top, "rlib")
		if err := writeLibModule(rlib, replaceModule, 1, size.Libs, ""); err != nil {
			return nil, err
		}
		addLibImports(imports, "r", replaceModule, size.Libs)
		editMod, editDir = replaceModule, rlib
	}
	sf.edit = filepath.Join(editDir, "edit")
	if err := sf.setBody("v0"); err != nil {
		return nil, err
	}
	if err := sf.setExport("v0"); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(editDir, "front", "front.go"), frontSource(editMod+"/edit", frontImports)); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(sf.dir, "go.mod"), gomod); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(sf.dir, "main.go"), shapeMainSource(editMod, imports)); err != nil {
		return nil, err
	}
	if kind == shapeVendor {
		cmd := exec.CommandContext(ctx, "go", "mod", "vendor")
		cmd.Dir, cmd.Env = sf.dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go mod vendor in %s: %v\n%s", sf.dir, err, out)
		}
	}
	return sf, nil
}

// localRequire is the go.mod lines that make mod a local replace target
// in dir.
func localRequire(mod, dir string) string {
	return fmt.Sprintf("\nrequire %s v0.0.0\n\nreplace %s => %s\n", mod, mod, dir)
}

// writeLibModule writes module mod into dir: its go.mod (plus extra) and
// n packages of one file each.
func writeLibModule(dir, mod string, m, n int, extra string) error {
	if err := writeFile(filepath.Join(dir, "go.mod"), fmt.Sprintf("module %s\n\ngo %s\n%s", mod, langVersion(), extra)); err != nil {
		return err
	}
	for p := 0; p < n; p++ {
		if err := writeFile(filepath.Join(dir, pkgName(p), "sum.go"), libSource(mod, m, p)); err != nil {
			return err
		}
	}
	return nil
}

// addLibImports adds a module's n packages to main's imports, each named
// prefix plus the package's name.
func addLibImports(imports map[string]string, prefix, mod string, n int) {
	for p := 0; p < n; p++ {
		imports[prefix+pkgName(p)] = mod + "/" + pkgName(p)
	}
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// setBody rewrites edit/body.go, as an editor's save does: an edit that
// keeps edit's export data.
func (sf *shapeFixture) setBody(v string) error {
	return writeFile(filepath.Join(sf.edit, "body.go"), fmt.Sprintf(`package edit

// body is what Body returns: only Body's body reads it.
const body = %q

// Body is what /body answers. It cannot be inlined, so its body is not
// in the package's export data.
//
//go:noinline
func Body() string { return body }
`, v))
}

// setExport rewrites edit/version.go: an edit of the package's export
// data, which main and front read.
func (sf *shapeFixture) setExport(v string) error {
	return writeFile(filepath.Join(sf.edit, "version.go"), fmt.Sprintf("package edit\n\n// Version is what /version answers.\nconst Version = %q\n", v))
}

// frontSource is the package beside edit that imports it: a second
// importer for go build to recompile when edit's export data changes.
func frontSource(edit string, more []string) string {
	var b strings.Builder
	b.WriteString("// Package front calls edit as main does.\npackage front\n\nimport (\n\t\"strconv\"\n\n")
	fmt.Fprintf(&b, "\t%q\n", edit)
	for i, path := range more {
		fmt.Fprintf(&b, "\tx%d %q\n", i, path)
	}
	b.WriteString(")\n\n// Tag is edit's version as a caller sees it.\nfunc Tag(n int) string {\n\ts := 0\n")
	for i := range more {
		fmt.Fprintf(&b, "\ts += x%d.Sum(n)\n", i)
	}
	b.WriteString("\treturn edit.Version + \"-\" + edit.Body() + \"-\" + strconv.Itoa(s)\n}\n")
	return b.String()
}

// shapeMainSource is main of a shapes project: /version answers edit's
// exported constant, /body what edit.Body returns, / runs every package.
func shapeMainSource(editMod string, imports map[string]string) string {
	var b strings.Builder
	b.WriteString(`// Command benchapp is the server of the benchmark's shapes scenario.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"

`)
	fmt.Fprintf(&b, "\t%q\n\t%q\n", editMod+"/edit", editMod+"/front")
	names := make([]string, 0, len(imports))
	for name := range imports {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "\t%s %q\n", name, imports[name])
	}
	b.WriteString(")\n\nfunc work(n int) int {\n\ts := len(front.Tag(n))\n")
	for _, name := range names {
		fmt.Fprintf(&b, "\ts += %s.Sum(n)\n", name)
	}
	b.WriteString(`	return s
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchapp:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, edit.Version) })
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, edit.Body()) })
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strconv.Itoa(os.Getpid())) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "ok %d\n", work(3)) })
	http.Serve(ln, mux)
}
`)
	return b.String()
}
