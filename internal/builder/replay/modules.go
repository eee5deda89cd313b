package replay

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/golive-dev/golive/internal/goenv"
)

// module is one local module whose packages the snapshot stamps: its
// import path prefix and the directory it is built from.
type module struct {
	root, path string
}

// modules are the local modules a build reads, the main one first, and
// the workspace file when there is one.
type modules struct {
	list   []module
	work   string // the go.work in use, or ""
	vendor string // the main module's vendor directory, or ""
}

// files are the module files go build reads: each local module's go.mod
// and go.sum, the go.work and go.work.sum.
func (m modules) files() []string {
	var fs []string
	for _, mod := range m.list {
		fs = append(fs, filepath.Join(mod.root, "go.mod"), filepath.Join(mod.root, "go.sum"))
	}
	if m.work != "" {
		fs = append(fs, m.work, m.work+".sum")
	}
	if m.vendor != "" {
		fs = append(fs, filepath.Join(m.vendor, "modules.txt"))
	}
	return fs
}

// vendored reports whether the file f lies in the vendor directory.
func (m modules) vendored(f string) bool {
	return m.vendor != "" && strings.HasPrefix(f, m.vendor+string(filepath.Separator))
}

func (m modules) equal(o modules) bool {
	return m.work == o.work && m.vendor == o.vendor && slices.Equal(m.list, o.list)
}

// findModules returns the local modules of a build in dir, as the go
// command finds them: a go.work (GOWORK, or the nearest one above dir
// unless GOWORK=off) and its modules, else the module holding dir; and
// the targets of their replace directives that are local directories;
// and the main module's vendor directory, whose packages are stamped
// too. A vendored workspace gives errUnsafe.
func findModules(dir string, env []string) (modules, error) {
	var m modules
	gowork := goenv.Get(env, "GOWORK")
	switch gowork {
	case "off":
	case "":
		for d := dir; ; d = filepath.Dir(d) {
			if fileExists(filepath.Join(d, "go.work")) {
				m.work = filepath.Join(d, "go.work")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	default:
		m.work = gowork
	}
	if m.work != "" {
		if fileExists(filepath.Join(filepath.Dir(m.work), "vendor")) {
			return m, errUnsafe // a vendored workspace
		}
		return m, m.addWork(dir)
	}
	root := ""
	for d := dir; root == "" && filepath.Dir(d) != d; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) {
			root = d
		}
	}
	if root == "" {
		return m, errUnsafe
	}
	if fileExists(filepath.Join(root, "vendor", "modules.txt")) {
		// Stamped whether the build reads it (-mod=vendor, the default
		// with a vendor directory) or not: either way a change there
		// leaves the next build to go build.
		m.vendor = filepath.Join(root, "vendor")
	}
	return m, m.addModule(root)
}

// addWork adds the workspace's modules, the one holding dir first, and
// its replace directives.
func (m *modules) addWork(dir string) error {
	data, err := os.ReadFile(m.work)
	if err != nil {
		return err
	}
	f, err := modfile.ParseWork(m.work, data, nil)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	base := filepath.Dir(m.work)
	var roots []string
	for _, u := range f.Use {
		roots = append(roots, abs(base, u.Path))
	}
	// The module holding dir first: the longest root it lies in.
	slices.SortStableFunc(roots, func(a, b string) int { return within(dir, b) - within(dir, a) })
	for _, r := range roots {
		if err := m.addModule(r); err != nil {
			return err
		}
	}
	for _, r := range f.Replace {
		m.addReplace(base, r.Old.Path, r.New.Path, r.New.Version)
	}
	return nil
}

// within is the length of root when dir lies in it, else 0.
func within(dir, root string) int {
	if dir == root || strings.HasPrefix(dir, root+string(filepath.Separator)) {
		return len(root)
	}
	return 0
}

// addModule adds the module at root (the main one, or one of a
// workspace) and the local targets of its replace directives (in a
// workspace, go.work's own come after, and win).
func (m *modules) addModule(root string) error {
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return fmt.Errorf("replay: no module line in %s", gomod)
	}
	m.list = append(m.list, module{root: root, path: f.Module.Mod.Path})
	for _, r := range f.Replace {
		m.addReplace(root, r.Old.Path, r.New.Path, r.New.Version)
	}
	return nil
}

// addReplace adds a replace target that is a local directory (no
// version): the packages of old's path are built from it.
func (m *modules) addReplace(base, old, target, version string) {
	if version != "" || !modfile.IsDirectoryPath(target) {
		return
	}
	root := abs(base, target)
	for i, mod := range m.list {
		if mod.path == old {
			m.list[i].root = root // one path, one directory: the last word wins
			return
		}
	}
	m.list = append(m.list, module{root: root, path: old})
}

func abs(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, filepath.FromSlash(p))
}

// packageDirs returns the directories of the local modules' packages
// among the import paths the program links (each path belongs to the
// module whose path is its longest prefix), and of the vendored ones.
func (m modules) packageDirs(importPaths []string) []string {
	var dirs []string
	for _, p := range importPaths {
		best := -1
		for i, mod := range m.list {
			if (p == mod.path || strings.HasPrefix(p, mod.path+"/")) && (best < 0 || len(mod.path) > len(m.list[best].path)) {
				best = i
			}
		}
		// A vendored copy, even of a replaced module: with -mod=vendor go
		// build reads it rather than the replace target, which stays
		// stamped too.
		if d := filepath.Join(m.vendor, filepath.FromSlash(p)); m.vendor != "" && fileExists(d) {
			dirs = append(dirs, d)
		}
		if best < 0 {
			continue
		}
		mod := m.list[best]
		dirs = append(dirs, filepath.Join(mod.root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, mod.path), "/"))))
	}
	return dirs
}
