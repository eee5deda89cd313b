package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/golive-dev/golive/internal/goenv"
)

// Graph is what the build of the main package reads, as one go list
// tells it: the files of every package that is neither in the standard
// library nor in the module cache (the main module, local replace
// targets, go.work modules, vendor/), with the files they embed and
// their modules' go.mod and go.sum, and the workspace's go.work. Paths
// are slash-separated and relative to the start directory; those outside
// it begin with "../".
type Graph struct {
	Files     map[string]bool // read by the build
	EmbedDirs []string        // embedded directories, with a trailing "/"
	Dirs      map[string]bool // the packages' directories: a new .go file there may join the build
	Ignored   map[string]bool // Go files of those packages that a build constraint leaves out
	FileDirs  map[string]bool // the directories of Files
	Above     map[string]bool // the directories under the start directory above those of Dirs and FileDirs
	Outside   []string        // absolute directories outside the start directory holding any of these
	Embedded  int             // how many of Files are embedded
	// Importers maps the import path of each package the program links
	// to those of the packages outside the standard library that import
	// it: a replay that changes a package's export data recompiles these.
	Importers map[string][]string
}

// outsideFiles counts the files outside the start directory.
func (g *Graph) outsideFiles() int {
	n := 0
	for f := range g.Files {
		if strings.HasPrefix(f, "../") {
			n++
		}
	}
	return n
}

// listed is the part of go list's JSON that Load reads.
type listed struct {
	ImportPath, Name                    string
	Imports                             []string
	Dir                                 string
	Standard                            bool
	Module                              *listedModule
	GoFiles, CgoFiles, CFiles, CXXFiles []string
	HFiles, SFiles, SysoFiles, FFiles   []string
	MFiles, SwigFiles, SwigCXXFiles     []string
	EmbedFiles, EmbedPatterns           []string
	IgnoredGoFiles                      []string
}

type listedModule struct {
	Main    bool
	Dir     string
	GoMod   string
	Version string
	Replace *listedModule
}

// listFields names the fields go list computes, so that it skips the rest.
const listFields = "ImportPath,Name,Imports,Dir,Standard,Module,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,FFiles,MFiles,SwigFiles,SwigCXXFiles,EmbedFiles,EmbedPatterns,IgnoredGoFiles"

// Load asks the go command once (go list -deps) what the build of pkg,
// with tags, the build's flags and its environment, reads. It runs at a
// lower priority, beside the program.
func Load(ctx context.Context, root, pkg string, tags, flags, env []string) (*Graph, error) {
	return load(ctx, true, root, pkg, tags, flags, env)
}

// load is Load; a save that waits for the answer (Set.Importers) has it
// run at golive's own priority (background false).
func load(ctx context.Context, background bool, root, pkg string, tags, flags, env []string) (*Graph, error) {
	args := []string{"list", "-deps", "-e", "-json=" + listFields}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, ListFlags(flags)...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	if nice, err := exec.LookPath("nice"); err == nil && runtime.GOOS != "windows" && background {
		// Background work, run beside the program that just started (or
		// several, with services): they come first. nice execs go, so a
		// cancel kills go itself; a Windows nice (MSYS) would start go as
		// its child instead, out of the cancel's reach.
		cmd = exec.CommandContext(ctx, nice, append([]string{"-n", "10", "go"}, args...)...)
	}
	cmd.Dir = root
	// PWD as the go command's own directory: else it resolves a symlinked
	// start directory, and every file would lie "outside" it.
	cmd.Env = append(slices.Clip(env), "PWD="+root)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("go list: %s", firstLine(msg))
	}
	g := &Graph{Files: map[string]bool{}, Dirs: map[string]bool{}, Ignored: map[string]bool{}, FileDirs: map[string]bool{}, Above: map[string]bool{},
		Importers: map[string][]string{}}
	outside := map[string]bool{}
	add := func(abs string) {
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			return
		}
		rel = filepath.ToSlash(rel)
		g.Files[rel] = true
		g.FileDirs[path.Dir(rel)] = true
		if strings.HasPrefix(rel, "../") {
			outside[filepath.Dir(abs)] = true
		}
	}
	// A go.sum that is not there yet joins the build with MayJoin.
	addIfThere := func(abs string) {
		if _, err := os.Stat(abs); err == nil {
			add(abs)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		if !p.Standard {
			importer := p.ImportPath
			if p.Name == "main" {
				importer = "main" // as go build's compile names it (-p main)
			}
			for _, imp := range p.Imports {
				g.Importers[imp] = append(g.Importers[imp], importer)
			}
		}
		if !local(root, p) {
			continue
		}
		g.addPackage(root, p, add)
		if m := p.Module; m != nil {
			if m.Replace != nil {
				m = m.Replace
			}
			switch vendor, ok := vendored(p, m); {
			case ok:
				add(filepath.Join(vendor, "modules.txt"))
			case m.GoMod != "":
				add(m.GoMod)
				addIfThere(filepath.Join(filepath.Dir(m.GoMod), "go.sum"))
			}
		}
	}
	if work := workFile(root, env); work != "" {
		add(work)
		addIfThere(work + ".sum")
	}
	for _, dirs := range []map[string]bool{g.Dirs, g.FileDirs} {
		for d := range dirs {
			for up := path.Dir(d); up != "." && !strings.HasPrefix(up, ".."); up = path.Dir(up) {
				g.Above[up] = true
			}
		}
	}
	for d := range outside {
		g.Outside = append(g.Outside, d)
	}
	slices.Sort(g.Outside)
	return g, nil
}

// vendored returns the vendor directory p is built from, if it is
// read from there and not from its module m's own directory: then the
// build reads vendor/modules.txt, not m's go.mod.
func vendored(p listed, m *listedModule) (string, bool) {
	inModule := m.Dir != "" && (p.Dir == m.Dir || strings.HasPrefix(p.Dir, m.Dir+string(filepath.Separator)))
	if m.Main || inModule {
		return "", false
	}
	vendor, ok := strings.CutSuffix(p.Dir, string(filepath.Separator)+filepath.FromSlash(p.ImportPath))
	if !ok || filepath.Base(vendor) != "vendor" {
		return "", false
	}
	return vendor, true
}

// selecting are the go build flags that change which files a build
// reads, which go list takes too.
var selecting = []string{"-tags", "-mod", "-modfile", "-race", "-msan", "-asan", "-cover", "-pgo", "-overlay"}

// ListFlags returns the flags of flags (go build's) that change which
// files the build reads, with their values, for go list.
func ListFlags(flags []string) []string {
	var out []string
	for i := 0; i < len(flags); i++ {
		name, _, hasValue := strings.Cut(strings.Replace(flags[i], "--", "-", 1), "=")
		if !slices.Contains(selecting, name) {
			continue
		}
		out = append(out, flags[i])
		boolean := name == "-race" || name == "-msan" || name == "-asan" || name == "-cover"
		if !hasValue && !boolean && i+1 < len(flags) {
			i++
			out = append(out, flags[i])
		}
	}
	return out
}

// addPackage records p's directory, the files it compiles and embeds.
func (g *Graph) addPackage(root string, p listed, add func(abs string)) {
	if rel, err := filepath.Rel(root, p.Dir); err == nil {
		g.Dirs[filepath.ToSlash(rel)] = true
	}
	g.Embedded += len(p.EmbedFiles)
	for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.HFiles, p.SFiles,
		p.SysoFiles, p.FFiles, p.MFiles, p.SwigFiles, p.SwigCXXFiles, p.EmbedFiles} {
		for _, f := range list {
			add(filepath.Join(p.Dir, f))
		}
	}
	for _, f := range p.IgnoredGoFiles {
		if rel, err := filepath.Rel(root, filepath.Join(p.Dir, f)); err == nil {
			g.Ignored[filepath.ToSlash(rel)] = true
		}
	}
	// A directory pattern embeds what is added to it later too.
	for _, pat := range p.EmbedPatterns {
		dir := filepath.Join(p.Dir, strings.TrimPrefix(pat, "all:"))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue // a file pattern: EmbedFiles has its files
		}
		if rel, err := filepath.Rel(root, dir); err == nil {
			g.EmbedDirs = append(g.EmbedDirs, filepath.ToSlash(rel)+"/")
		}
	}
}

// local reports whether p's source is the user's to edit: not the
// standard library, not a module in the module cache (a version of its
// own), but the main module or a workspace module, a replace by a local
// path, or a package under the start directory (vendor/).
func local(root string, p listed) bool {
	switch {
	case p.Standard || p.Dir == "":
		return false
	case p.Module == nil || p.Module.Main:
		return true
	case p.Module.Replace != nil && p.Module.Replace.Version == "":
		return true
	}
	rel, err := filepath.Rel(root, p.Dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// workFile is the go.work the go command uses for root, or "": GOWORK
// when set (off: none), else the first go.work in root or above it.
func workFile(root string, env []string) string {
	switch w := goenv.Get(env, "GOWORK"); w {
	case "off":
		return ""
	case "":
	default:
		return w
	}
	for dir := root; ; dir = filepath.Dir(dir) {
		f := filepath.Join(dir, "go.work")
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			return f
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Has reports whether the build reads rel: a file go list named, or one
// in an embedded directory.
func (g *Graph) Has(rel string) bool {
	if g.Files[rel] {
		return true
	}
	for _, d := range g.EmbedDirs {
		if strings.HasPrefix(rel, d) {
			return true
		}
	}
	return false
}

// Dir reports whether the build reads files in the directory rel (a
// package's, a module's, one in an embedded directory), or in one below
// it: a poll of it sees a new package's directory created there.
func (g *Graph) Dir(rel string) bool {
	if g.Dirs[rel] || g.FileDirs[rel] || g.Above[rel] {
		return true
	}
	for _, d := range g.EmbedDirs { // d ends in "/": rel is d, or under it
		if strings.HasPrefix(rel, d) || rel == d[:len(d)-1] {
			return true
		}
	}
	return false
}

// MayJoin reports whether rel, not read by the build now, is a file a
// build could read from now on: a .go file (not a test) in one of the
// packages' directories that no build constraint left out at the load
// (a new one), which a save of it makes go list look again,
// or a go.sum (go.work.sum) beside a go.mod (go.work) of the build.
func (g *Graph) MayJoin(rel string) bool {
	dir, name := path.Split(rel)
	switch name {
	case "go.sum": // beside a go.mod of the build
		return g.Files[dir+"go.mod"]
	case "go.work.sum":
		return g.Files[dir+"go.work"]
	}
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && g.Dirs[path.Clean(dir)] && !g.Ignored[rel]
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
