//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shape is the size of a generated fixture.
type shape struct {
	Packages int // internal packages, all imported by main unless Imported is set
	Files    int // .go files per package
	Other    int // non-Go files under data/ (the storm rewrites them)
	BigDirs  int // extra directories under tree/ (idle and start-up)
	BigFiles int // extra non-Go files spread over them
	// Imported, when set, is how many of each module's packages main
	// imports: the others are packages of the tree the build never reads.
	Imported int
	// Work, when set, makes the fixture a go.work workspace: the module
	// (main's) in app/ beside Work other modules of Packages packages
	// each, lib1/ to libN/; main imports Imported of each.
	Work int
	// Hot, when set, is the directory of golive's hot module: the fixture
	// is then the plugin scenario's variant, whose main registers
	// internal/greet's Version with hot.Func and serves it on /version
	// (main's own constant moves to /main).
	Hot string
}

// fixture is one generated module on disk. Every watcher gets its own
// copy: go build's cache keys include the package directory, so no copy
// reuses another's compiled packages, and an edit in one copy wakes no
// other watcher.
type fixture struct {
	dir   string
	shape shape
	other []string // the non-Go files, relative to dir
	// pkgDir is where the internal packages are, relative to dir and in
	// their import paths: "internal" when empty (the services scenario
	// gives each of its mains packages of its own).
	pkgDir string
}

const modulePath = "example.com/benchapp"

// newFixture writes a module into dir: main (an HTTP server), version.go
// (the constant the latency rounds rewrite) and the internal packages.
func newFixture(dir string, s shape, useGit bool) (*fixture, error) {
	top := dir
	if s.Work > 0 {
		dir = filepath.Join(top, "app")
	}
	f := &fixture{dir: dir, shape: s}
	goVersion := langVersion()
	gomod := fmt.Sprintf("module %s\n\ngo %s\n", modulePath, goVersion)
	if s.Hot != "" {
		gomod += fmt.Sprintf("\nrequire %s v0.0.0\n\nreplace %s => %s\n", hotModule, hotModule, s.Hot)
		if err := f.write("internal/greet/greet.go", greetSource); err != nil {
			return nil, err
		}
		if err := f.setGreet("v0"); err != nil {
			return nil, err
		}
	}
	if err := f.write("go.mod", gomod); err != nil {
		return nil, err
	}
	if err := f.write("main.go", f.mainSource()); err != nil {
		return nil, err
	}
	if err := f.setVersion("v0"); err != nil {
		return nil, err
	}
	for p := 0; p < s.Packages; p++ {
		for i := 0; i < s.Files; i++ {
			if err := f.write(f.goFile(p, i), f.packageSource(p, i, "t0")); err != nil {
				return nil, err
			}
		}
	}
	exts := []string{".md", ".json", ".txt", ".yaml", ".css", ".js", ".html", ".sql"}
	for i := 0; i < s.Other; i++ {
		rel := fmt.Sprintf("data/d%02d/file%04d%s", i%30, i, exts[i%len(exts)])
		f.other = append(f.other, rel)
		if err := f.write(rel, otherContent(rel, "t0")); err != nil {
			return nil, err
		}
	}
	if s.BigDirs > 0 {
		if err := f.writeBigTree(); err != nil {
			return nil, err
		}
	}
	if s.Work > 0 {
		if err := f.writeWork(top, goVersion); err != nil {
			return nil, err
		}
	}
	if useGit {
		if err := gitCommit(top); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// gitCommit makes dir a git repository holding its files in one commit:
// real projects live in a repository, and a plain go build asks git for
// its status to stamp the binary (-buildvcs=auto).
func gitCommit(dir string) error {
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "fixture"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v: %s", args[0], err, out)
		}
	}
	return nil
}

// imported is how many of a module's packages main imports.
func (s shape) imported() int {
	if s.Imported > 0 && s.Imported < s.Packages {
		return s.Imported
	}
	return s.Packages
}

// writeWork writes the go.work in top and its other modules, lib1/ to
// libN/: each package one file, a few importing the one before.
func (f *fixture) writeWork(top, goVersion string) error {
	work := fmt.Sprintf("go %s\n\nuse (\n\t./app\n", goVersion)
	for m := 1; m <= f.shape.Work; m++ {
		work += fmt.Sprintf("\t./lib%d\n", m)
		lib := filepath.Join(top, fmt.Sprintf("lib%d", m))
		mod := fmt.Sprintf("module %s\n\ngo %s\n", libModule(m), goVersion)
		if err := os.MkdirAll(lib, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(lib, "go.mod"), []byte(mod), 0o644); err != nil {
			return err
		}
		for p := 0; p < f.shape.Packages; p++ {
			rel := filepath.Join(lib, pkgName(p), "sum.go")
			if err := os.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(rel, []byte(libSource(libModule(m), m, p)), 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(top, "go.work"), []byte(work+")\n"), 0o644)
}

// libSource is package p of module mod, the m-th module of its fixture:
// one file, each fifth package starting a chain of imports of the one
// before.
func libSource(mod string, m, p int) string {
	src := fmt.Sprintf("package %s\n\n", pkgName(p))
	prev := ""
	if p%5 != 0 {
		src += fmt.Sprintf("import %q\n\n", mod+"/"+pkgName(p-1))
		prev = " + " + pkgName(p-1) + ".Sum(n%2)"
	}
	return src + fmt.Sprintf("// Sum is module %d's package %d at work.\nfunc Sum(n int) int { return n*%d + %d%s }\n", m, p, m, p, prev)
}

// langVersion is the go line of the fixtures' go.mod and go.work files:
// the language version of the toolchain the benchmark was built with.
func langVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	if parts := strings.Split(v, "."); len(parts) >= 2 {
		v = parts[0] + "." + parts[1]
	}
	return v
}

func libModule(m int) string { return fmt.Sprintf("example.com/lib%d", m) }

// libImports is the packages of the go.work's other modules main imports,
// each with the name main gives it.
func (f *fixture) libImports() (names, paths []string) {
	for m := 1; m <= f.shape.Work; m++ {
		for p := 0; p < f.shape.imported(); p++ {
			names = append(names, fmt.Sprintf("l%d%s", m, pkgName(p)))
			paths = append(paths, libModule(m)+"/"+pkgName(p))
		}
	}
	return names, paths
}

// writeBigTree adds BigDirs directories, two levels deep, holding BigFiles
// non-Go files: the large tree of the idle and start-up scenario.
func (f *fixture) writeBigTree() error {
	s := f.shape
	top := 50
	for d := 0; d < s.BigDirs; d++ {
		dir := filepath.Join(f.dir, "tree", fmt.Sprintf("g%02d", d%top), fmt.Sprintf("d%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	for i := 0; i < s.BigFiles; i++ {
		d := i % s.BigDirs
		rel := filepath.Join("tree", fmt.Sprintf("g%02d", d%top), fmt.Sprintf("d%04d", d), fmt.Sprintf("f%05d.txt", i))
		if err := os.WriteFile(filepath.Join(f.dir, rel), []byte("static content "+rel+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (f *fixture) write(rel, content string) error {
	path := filepath.Join(f.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// setVersion rewrites version.go, as an editor's save does: truncate and
// write in place.
func (f *fixture) setVersion(v string) error {
	return f.write("version.go", fmt.Sprintf("package main\n\n// Version is what /version answers.\nconst Version = %q\n", v))
}

// logStartSource is the fixtures' logStart (it needs fmt, os and time).
const logStartSource = `
// logStart appends one line to $BENCH_STARTLOG, so the benchmark counts
// every start of this program whoever started it.
func logStart(kind string) {
	path := os.Getenv("BENCH_STARTLOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %d %d\n", kind, os.Getpid(), time.Now().UnixNano())
	f.Close()
}
`

// hotModule is golive's library for in-process reload (its own module).
const hotModule = "github.com/golive-dev/golive/hot"

// greetPackage is the plugin fixture's plugin package.
const greetPackage = modulePath + "/internal/greet"

// greetSource is the plugin package but its constant: a small package of
// logic that imports only what it uses from the standard library.
const greetSource = `// Package greet is what golive reloads inside the running server in the
// benchmark's plugin scenario.
package greet

import "strings"

// Version is what /version answers.
func Version() string { return strings.TrimSpace(version) }
`

// setGreet rewrites the plugin package's constant (plugin fixture only),
// as setVersion does main's.
func (f *fixture) setGreet(v string) error {
	return f.write("internal/greet/version.go", fmt.Sprintf("package greet\n\n// version is rewritten by the plugin scenario.\nconst version = %q\n", v))
}

func (f *fixture) goFile(p, i int) string {
	return fmt.Sprintf("%s/p%02d/f%02d.go", f.internalDir(), p, i)
}

// internalDir is pkgDir, or "internal".
func (f *fixture) internalDir() string {
	if f.pkgDir == "" {
		return "internal"
	}
	return f.pkgDir
}

func pkgName(p int) string { return fmt.Sprintf("p%02d", p) }

// treeAnswer is what /tree answers when every internal file carries token.
func (f *fixture) treeAnswer(token string) string {
	n := f.shape.Packages * f.shape.Files
	parts := make([]string, n)
	for i := range parts {
		parts[i] = token
	}
	return strings.Join(parts, ",")
}

func (f *fixture) mainSource() string {
	var b strings.Builder
	b.WriteString(`// Command benchapp is the server golive's benchmark reloads.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
`)
	if f.shape.Hot != "" {
		b.WriteString("\t\"sync/atomic\"\n")
	}
	b.WriteString("\t\"time\"\n\n")
	if f.shape.Hot != "" {
		fmt.Fprintf(&b, "\t%q\n\t%q\n", greetPackage, hotModule)
	}
	for p := 0; p < f.shape.imported(); p++ {
		fmt.Fprintf(&b, "\t%q\n", modulePath+"/internal/"+pkgName(p))
	}
	libNames, libPaths := f.libImports()
	for i := range libNames {
		fmt.Fprintf(&b, "\t%s %q\n", libNames[i], libPaths[i])
	}
	b.WriteString(")\n")
	if f.shape.Hot != "" {
		b.WriteString(`
// greetVersion is greet.Version as golive last loaded it.
var greetVersion = hot.Func(` + strconv.Quote(greetPackage) + `, "Version", greet.Version)

// served counts the requests this process answered: state that an
// in-process reload keeps and a restart loses.
var served atomic.Int64
`)
	}
	b.WriteString(logStartSource)
	b.WriteString(`
func tokens() string {
	var all []string
`)
	for p := 0; p < f.shape.imported(); p++ {
		fmt.Fprintf(&b, "\tall = append(all, %s.Tokens()...)\n", pkgName(p))
	}
	b.WriteString(`	return strings.Join(all, ",")
}

func work(n int) int {
	s := 0
`)
	for p := 0; p < f.shape.imported(); p++ {
		fmt.Fprintf(&b, "\ts += %s.Sum(n)\n", pkgName(p))
	}
	for _, name := range libNames {
		fmt.Fprintf(&b, "\ts += %s.Sum(n)\n", name)
	}
	b.WriteString(`	return s
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	logStart("start")
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		logStart("bindfail")
		fmt.Fprintln(os.Stderr, "benchapp:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
`)
	if f.shape.Hot != "" {
		b.WriteString(`	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, greetVersion.Load()()) })
	mux.HandleFunc("/main", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, Version) })
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strconv.FormatInt(served.Load(), 10)) })
`)
	} else {
		b.WriteString(`	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, Version) })
`)
	}
	b.WriteString(`	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strconv.Itoa(os.Getpid())) })
	mux.HandleFunc("/tree", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tokens()) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "ok %d\n", work(3)) })
	fmt.Fprintln(os.Stderr, "benchapp: serving on", ln.Addr())
`)
	if f.shape.Hot != "" {
		b.WriteString(`	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		mux.ServeHTTP(w, r)
	}))
}
`)
	} else {
		b.WriteString("\thttp.Serve(ln, mux)\n}\n")
	}
	return b.String()
}

// packageSource is file i of package p. Every file carries the token of
// the last rewrite; file 0 also lists them all for /tree. A few packages
// import the one before them, so the build has some depth.
func (f *fixture) packageSource(p, i int, token string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\n", pkgName(p))
	dep := p%5 != 0
	if i == 0 {
		b.WriteString("import (\n\t\"fmt\"\n\t\"sort\"\n\t\"strings\"\n")
		if dep {
			fmt.Fprintf(&b, "\n\t%q\n", modulePath+"/"+f.internalDir()+"/"+pkgName(p-1))
		}
		b.WriteString(")\n\n")
	}
	fmt.Fprintf(&b, "// T%02d is rewritten by the storm.\nconst T%02d = %q\n\n", i, i, token)
	fmt.Fprintf(&b, `// Item%02d is a small record with a little behaviour.
type Item%02d struct {
	Name  string
	Count int
	Tags  []string
}

// Score%02d weighs an item.
func (it Item%02d) Score%02d() int {
	s := it.Count * %d
	for i, t := range it.Tags {
		s += len(t) * (i + 1)
	}
	if len(it.Name) > %d {
		s -= len(it.Name)
	}
	return s
}

// F%02d folds n through a few branches.
func F%02d(n int) int {
	items := make([]Item%02d, 0, 4)
	for i := 0; i < n%%7+1; i++ {
		items = append(items, Item%02d{Name: T%02d, Count: i * %d, Tags: []string{"a", "bb", "ccc"}})
	}
	total := 0
	for _, it := range items {
		switch {
		case it.Count%%3 == 0:
			total += it.Score%02d()
		case it.Count%%3 == 1:
			total -= it.Score%02d() / 2
		default:
			total ^= it.Score%02d()
		}
	}
	return total
}
`, i, i, i, i, i, i+p+1, i%5+3, i, i, i, i, i, i+1, i, i, i)
	if i == 0 {
		b.WriteString("\n// Tokens lists the token of every file of the package.\nfunc Tokens() []string {\n\treturn []string{")
		for j := 0; j < f.shape.Files; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "T%02d", j)
		}
		b.WriteString("}\n}\n\n// Sum runs every function of the package.\nfunc Sum(n int) int {\n\ts := 0\n")
		for j := 0; j < f.shape.Files; j++ {
			fmt.Fprintf(&b, "\ts += F%02d(n)\n", j)
		}
		if dep {
			fmt.Fprintf(&b, "\ts += %s.Sum(n) %% 97\n", pkgName(p-1))
		}
		b.WriteString("\tkeys := []string{fmt.Sprint(s), strings.Repeat(\"x\", n)}\n\tsort.Strings(keys)\n\treturn s + len(keys[0])\n}\n")
	}
	return b.String()
}

func otherContent(rel, token string) string {
	return fmt.Sprintf("%s\nrevision %s\n%s\n", rel, token, strings.Repeat("lorem ipsum dolor sit amet ", 8))
}

// stormWrite is one file of a storm.
type stormWrite struct {
	rel     string
	content string
}

// storm returns the writes that move every internal .go file and every
// data file to token: .go and other files interleaved as a checkout
// writes them, the last one a .go file.
func (f *fixture) storm(token string) []stormWrite {
	var goW, otherW []stormWrite
	for p := 0; p < f.shape.Packages; p++ {
		for i := 0; i < f.shape.Files; i++ {
			goW = append(goW, stormWrite{f.goFile(p, i), f.packageSource(p, i, token)})
		}
	}
	for _, rel := range f.other {
		otherW = append(otherW, stormWrite{rel, otherContent(rel, token)})
	}
	var out []stormWrite
	gi, oi := 0, 0
	for gi < len(goW) || oi < len(otherW) {
		// About three other files per .go file, keeping one .go file for last.
		if oi < len(otherW) && (gi >= len(goW)-1 || oi < 3*gi) {
			out = append(out, otherW[oi])
			oi++
			continue
		}
		out = append(out, goW[gi])
		gi++
	}
	return out
}

// applyStorm writes ws as a checkout does, as fast as it can: four
// writers share all but the last file, which is written once they are
// done. It returns how long that took.
func (f *fixture) applyStorm(ws []stormWrite) (time.Duration, error) {
	start := time.Now()
	const writers = 4
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	body := ws[:len(ws)-1]
	for w := range writers {
		wg.Go(func() {
			for i := w; i < len(body); i += writers {
				if err := os.WriteFile(filepath.Join(f.dir, body[i].rel), []byte(body[i].content), 0o644); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	last := ws[len(ws)-1]
	if err := os.WriteFile(filepath.Join(f.dir, last.rel), []byte(last.content), 0o644); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
