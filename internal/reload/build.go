package reload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/scanner"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/internal/project"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/runner"
)

// Tree is one plugin package and the subpackages under it.
type Tree struct {
	Dir        string // absolute directory of the root package
	ImportPath string // the root package's import path: what the program registers symbols under
	Rel        string // Dir as configured, relative to the start directory ("./greeter")
}

// Options configure a Builder.
type Options struct {
	// Build is the program's build: Dir (the start directory), Flags,
	// Tags, LDFlags, Debug and Env are used as they are, so the plugin
	// and the program it loads into are built alike; Work, when set, is
	// where Out goes by default. Package is ignored.
	Build builder.Options
	// Packages are the plugin packages as configured ("./greeter"),
	// relative to Build.Dir.
	Packages []string
	// Out is where overlays, plugin files and go build's GOTMPDIR (tmp)
	// go, created if missing. Empty means "plugins" in Build.Work's
	// directory.
	Out string
}

// Builder builds plugin trees. One build at a time.
type Builder struct {
	opts  Options
	out   string
	tmp   string // go build's GOTMPDIR, swept after a cancelled build
	trees []Tree

	mu     sync.Mutex
	litter []string // files of earlier attempts, removed by the next one
}

// attempts numbers build attempts across all Builders of this golive, so
// that a Builder made anew (say, for a new config) never reuses a path
// that the running program has loaded.
var attempts atomic.Int64

// Plugin is one successful build, ready to deliver.
type Plugin struct {
	Tree    Tree
	File    string // the plugin file (.so)
	Attempt int    // numbers the build attempts of this golive, from 1

	vdir  string // the copy's virtual directory
	vpath string // and its import path
	ovDir string // where the copy's Go files are, which the compiler names
	start string // the start directory, which user paths are relative to
}

// Result is the outcome of one plugin build: runner.BuildResult (with
// Binary the plugin file) and, on success, the Plugin to deliver.
type Result struct {
	runner.BuildResult
	Plugin *Plugin
}

// NewBuilder resolves the configured plugin packages to trees.
func NewBuilder(opts Options) (*Builder, error) {
	b := &Builder{opts: opts, out: opts.Out}
	if b.out == "" {
		if opts.Build.Work == nil {
			return nil, errors.New("plugin builder: no output directory")
		}
		b.out = filepath.Join(opts.Build.Work.Dir(), "plugins")
	}
	b.tmp = filepath.Join(b.out, "tmp")
	if err := os.MkdirAll(b.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("plugin builder: %w", err)
	}
	for _, p := range opts.Packages {
		t, err := resolveTree(opts.Build.Dir, p)
		if err != nil {
			return nil, err
		}
		b.trees = append(b.trees, t)
	}
	return b, nil
}

// Trees returns the plugin trees, in the order configured.
func (b *Builder) Trees() []Tree { return b.trees }

// Tree returns the tree configured as dir ("./greeter").
func (b *Builder) Tree(dir string) (Tree, bool) {
	for _, t := range b.trees {
		if clean(t.Rel) == clean(dir) {
			return t, true
		}
	}
	return Tree{}, false
}

// resolveTree finds the module of the package at dir (relative to start)
// and its import path.
func resolveTree(start, dir string) (Tree, error) {
	abs := dir
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(start, dir)
	}
	abs = filepath.Clean(abs)
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return Tree{}, fmt.Errorf("plugin package %s: not a directory", dir)
	}
	for root := abs; ; root = filepath.Dir(root) {
		data, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err == nil {
			mod := project.ModulePath(data)
			if mod == "" {
				return Tree{}, fmt.Errorf("plugin package %s: no module line in %s", dir, filepath.Join(root, "go.mod"))
			}
			if root == abs {
				return Tree{}, fmt.Errorf("plugin package %s: the module's root cannot be a plugin; use a package below it", dir)
			}
			rel, _ := filepath.Rel(root, abs) // abs is below root
			return Tree{Dir: abs, ImportPath: path.Join(mod, filepath.ToSlash(rel)), Rel: dir}, nil
		}
		if filepath.Dir(root) == root {
			return Tree{}, fmt.Errorf("plugin package %s: not in a Go module (no go.mod above it)", dir)
		}
	}
}

// Build builds tree t as a plugin under a fresh import path. A compile
// error is Failed with diagnostics pointing at the user's files;
// cancelling ctx kills go build with its children.
func (b *Builder) Build(ctx context.Context, t Tree) Result {
	start := time.Now()
	n := int(attempts.Add(1))
	p := &Plugin{Tree: t, Attempt: n, start: b.opts.Build.Dir}
	p.vdir = filepath.Join(filepath.Dir(t.Dir), "_golive", strconv.Itoa(n), filepath.Base(t.Dir))
	p.vpath = path.Join(path.Dir(t.ImportPath), "_golive", strconv.Itoa(n), path.Base(t.ImportPath))
	p.File = filepath.Join(b.out, fmt.Sprintf("%s-%d.so", filepath.Base(t.Dir), n))
	p.ovDir = filepath.Join(b.out, strconv.Itoa(n))
	b.mu.Lock()
	b.sweep()
	b.litter = append(b.litter, p.ovDir, p.File)
	b.mu.Unlock()

	res := Result{}
	done := func() Result { res.Duration = time.Since(start); return res }
	overlay, diags, err := writeOverlay(t, p)
	switch {
	case err != nil:
		res.Err = fmt.Errorf("copy plugin %s: %w", t.Rel, err)
		return done()
	case diags != nil:
		res.Failed, res.Diagnostics = true, diags
		return done()
	}

	cmd := exec.Command("go", b.args(p, overlay)...)
	cmd.Dir = b.opts.Build.Dir
	// A go command that is killed leaves its work directory behind: give
	// it one of the builder's own, swept after a cancel.
	cmd.Env = append(b.opts.Build.Env, "GOTMPDIR="+b.tmp)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Like the program's build: a cancel kills go build's whole group
	// (the compile and link children would otherwise finish a stale
	// build) and reaps what was re-parented to golive.
	err = procgroup.Run(ctx, cmd)
	switch {
	case ctx.Err() != nil:
		b.sweepGoTmp()
		res.Err = ctx.Err()
	case err != nil:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			res.Err = fmt.Errorf("run go build: %w", err)
			break
		}
		res.Failed = true
		res.Diagnostics, res.Output = p.userDiagnostics(out.String())
	default:
		res.Binary, res.Plugin = p.File, p
		res.Output = p.userPaths(out.String())
	}
	return done()
}

// args are the program's go build arguments, with the plugin's build mode
// and overlay, building the copy's import path into the plugin file. The
// flags are the program's, so that every package the two share compiles
// alike. (Link flags could differ without harm; none measured made the
// link faster: docs/plugins.md.)
func (b *Builder) args(p *Plugin, overlay string) []string {
	opts := b.opts.Build
	opts.Package = p.vpath
	args := builder.Args(opts, p.File)
	return append([]string{args[0], "-buildmode=plugin", "-overlay=" + overlay}, args[1:]...)
}

// sweep removes what earlier attempts left: their plugin files are
// loaded (mapped) already or will never be.
func (b *Builder) sweep() {
	for _, f := range b.litter {
		os.RemoveAll(f)
	}
	b.litter = b.litter[:0]
}

// sweepGoTmp removes what a killed go build left in its GOTMPDIR. Builds
// never overlap, so nothing in there belongs to a running build.
func (b *Builder) sweepGoTmp() {
	entries, _ := os.ReadDir(b.tmp)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(b.tmp, e.Name()))
	}
}

// writeOverlay writes the copy of t for attempt p into p.ovDir and returns
// the overlay file for go build. Go files are rewritten (package clause
// of the root, imports of the tree); other files (embedded assets, C and
// assembly sources) are mapped to the originals. A Go file whose package
// clause or imports do not parse is reported as diagnostics instead, at
// its own position.
func writeOverlay(t Tree, p *Plugin) (string, []events.Diagnostic, error) {
	ovDir := p.ovDir
	replace := map[string]string{}
	var diags []events.Diagnostic
	err := filepath.WalkDir(t.Dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // deleted mid-walk
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(t.Dir, file) // file is below t.Dir
		if d.IsDir() {
			if file != t.Dir && skipDir(file, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), "_test.go") {
			return nil
		}
		virtual := filepath.Join(p.vdir, rel)
		if !strings.HasSuffix(d.Name(), ".go") {
			replace[virtual] = file
			return nil
		}
		src, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		pkgName := ""
		if filepath.Dir(file) == t.Dir {
			pkgName = "main"
		}
		copied, err := rewrite(file, src, pkgName, t.ImportPath, p.vpath)
		if err != nil {
			diags = append(diags, parseDiagnostics(err, file, p.start)...)
			return nil
		}
		dst := filepath.Join(ovDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, copied, 0o644); err != nil {
			return err
		}
		replace[virtual] = dst
		return nil
	})
	if err != nil || diags != nil {
		return "", diags, err
	}
	if err := os.MkdirAll(ovDir, 0o755); err != nil {
		return "", nil, err
	}
	data, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return "", nil, err
	}
	overlay := filepath.Join(ovDir, "overlay.json")
	return overlay, nil, os.WriteFile(overlay, data, 0o644)
}

// skipDir reports directories that are not part of a tree: what go build
// ignores (hidden, _-prefixed, testdata) and nested modules.
func skipDir(dir, name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// parseDiagnostics turns a parser's errors into diagnostics.
func parseDiagnostics(err error, file, start string) []events.Diagnostic {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return []events.Diagnostic{{File: relTo(start, file), Line: 1, Message: err.Error()}}
	}
	var diags []events.Diagnostic
	for _, e := range list {
		diags = append(diags, events.Diagnostic{File: relTo(start, e.Pos.Filename), Line: e.Pos.Line, Column: e.Pos.Column, Message: e.Msg})
	}
	return diags
}

// userDiagnostics parses go build's output and points it at the user's
// files and import paths instead of the copy's.
func (p *Plugin) userDiagnostics(out string) ([]events.Diagnostic, string) {
	diags, rest := builder.ParseDiagnostics(out, p.start)
	for i := range diags {
		d := &diags[i]
		file := d.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(p.start, filepath.FromSlash(file))
		}
		for _, copyDir := range []string{p.vdir, p.ovDir} {
			if rel, err := filepath.Rel(copyDir, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = filepath.Join(p.Tree.Dir, rel)
			}
		}
		d.File = relTo(p.start, file)
		d.Message = p.userPaths(d.Message)
	}
	return diags, p.userPaths(rest)
}

// userPaths rewrites the copy's directories and import path in text to
// the user's: the directory relative to the start directory, as
// diagnostics are.
func (p *Plugin) userPaths(s string) string {
	if s == "" {
		return s
	}
	user := relTo(p.start, p.Tree.Dir)
	sep := string(filepath.Separator)
	return strings.NewReplacer(
		p.vdir+sep, user+"/", p.vdir, user,
		p.ovDir+sep, user+"/", p.ovDir, user,
		p.vpath, p.Tree.ImportPath,
	).Replace(s)
}

// relTo makes path relative to dir when it lies below it, slash-separated.
func relTo(dir, file string) string {
	rel, err := filepath.Rel(dir, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		return file
	}
	return filepath.ToSlash(rel)
}
