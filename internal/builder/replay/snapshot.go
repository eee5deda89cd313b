package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/goenv"
)

// A replay links every package it does not compile from the archive the
// last go build made, so it must know that none of those packages'
// inputs changed since, including the ones golive does not watch: files
// excluded by watch.exclude, packages of the module outside the start
// directory, assembly, C and .syso files, embedded files. golive cannot
// count on events for those. So when it learns a recipe it takes a
// snapshot of every input go build would read from the module's own
// packages (size, modification and change times, inode), and every
// replay first takes it again: any difference other than the files of
// the batch, and go build runs.
//
// Only the module's own packages are taken: the standard library and the
// module cache do not change under a running golive. A module that could
// change elsewhere (a go.work, a replace by a local directory, a vendor
// directory) gets no replay at all.

// snapshot maps each input file, by absolute path, to its stamp; each
// package directory maps to the list of its input names.
type snapshot struct {
	files map[string]stamp
	names map[string]string // directory -> its input names, sorted, joined
	trees map[string]bool   // package directories stamped as whole trees (they embed)
}

// stamp identifies one version of a file without reading it. The change
// time moves on every write and cannot be set back by a program.
type stamp struct {
	size         int64
	mtime, ctime int64
	ino          uint64
}

// maxSnapshotFiles bounds the snapshot; a bigger module goes without
// replays rather than stat thousands of files a save.
const maxSnapshotFiles = 5000

// errUnsafe says the module's sources may change where golive cannot see.
var errUnsafe = errors.New("replay: module has sources outside what golive can check")

// goInputExt lists the file kinds go build reads from a package
// directory (cmd/go's list of source file extensions).
var goInputExt = map[string]bool{
	".go": true, ".c": true, ".cc": true, ".cxx": true, ".cpp": true, ".m": true,
	".h": true, ".hh": true, ".hpp": true, ".hxx": true, ".f": true, ".F": true,
	".for": true, ".f90": true, ".s": true, ".S": true, ".sx": true,
	".swig": true, ".swigcxx": true, ".syso": true,
}

// goInputNames are the other files of a package directory that change
// what go build makes of it: the profile -pgo=auto (the default) reads
// from the main package's directory, and a go.mod, which makes the
// directory a module of its own. Between two sessions (store.go)
// only the snapshot sees them come, go or change.
var goInputNames = map[string]bool{"default.pgo": true, "go.mod": true}

// module is the main module as the snapshot needs it.
type module struct {
	root, path string
}

// findModule returns the module of dir, or errUnsafe when its sources
// can change outside it (go.work, local replace, vendor).
func findModule(dir string, env []string) (module, error) {
	gowork := goenv.Get(env, "GOWORK")
	if gowork != "" && gowork != "off" {
		return module{}, errUnsafe
	}
	root := ""
	for d := dir; ; d = filepath.Dir(d) {
		if root == "" && fileExists(filepath.Join(d, "go.mod")) {
			root = d
		}
		if gowork != "off" && fileExists(filepath.Join(d, "go.work")) {
			return module{}, errUnsafe
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if root == "" || fileExists(filepath.Join(root, "vendor")) {
		return module{}, errUnsafe
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return module{}, err
	}
	m := module{root: root}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(l, "module "); ok && m.path == "" {
			m.path = strings.Trim(strings.TrimSpace(strings.Split(p, "//")[0]), `"`)
		}
		if _, target, ok := strings.Cut(l, "=>"); ok {
			t := strings.TrimSpace(target)
			if strings.HasPrefix(t, ".") || filepath.IsAbs(t) {
				return module{}, errUnsafe
			}
		}
	}
	if m.path == "" {
		return module{}, fmt.Errorf("replay: no module line in %s", filepath.Join(root, "go.mod"))
	}
	return m, nil
}

// packageDirs returns the directories of the module's own packages among
// the import paths the program links.
func (m module) packageDirs(importPaths []string) []string {
	var dirs []string
	for _, p := range importPaths {
		if p == m.path {
			dirs = append(dirs, m.root)
		} else if rel, ok := strings.CutPrefix(p, m.path+"/"); ok {
			dirs = append(dirs, filepath.Join(m.root, filepath.FromSlash(rel)))
		}
	}
	return dirs
}

// takeSnapshot stamps the inputs of the given package directories, plus
// the module's go.mod and go.sum. A package that embeds files has its
// whole directory tree stamped, since embed patterns reach below it.
// Which ones embed is read from the Go files, unless like is the snapshot
// to compare with: then like's answer stands (a file that changed since
// fails the comparison anyway), and no file is read.
func takeSnapshot(m module, dirs []string, like *snapshot) (*snapshot, error) {
	s := &snapshot{files: map[string]stamp{}, names: map[string]string{}, trees: map[string]bool{}}
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := s.add(filepath.Join(m.root, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	for _, d := range dirs {
		embeds, err := s.addDir(d, like == nil)
		if err != nil {
			return nil, err
		}
		if like != nil {
			embeds = like.trees[d]
		}
		if embeds {
			s.trees[d] = true
			if err := s.addTree(d); err != nil {
				return nil, err
			}
		}
		if len(s.files) > maxSnapshotFiles {
			return nil, errUnsafe
		}
	}
	return s, nil
}

// addDir stamps d's input files and, with read, reports whether one of
// its Go files embeds.
func (s *snapshot) addDir(d string, read bool) (bool, error) {
	entries, err := os.ReadDir(d)
	if err != nil {
		return false, err
	}
	var names []string
	embeds := false
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || !(goInputExt[filepath.Ext(n)] || goInputNames[n]) {
			continue
		}
		p := filepath.Join(d, n)
		if err := s.add(p); err != nil {
			return false, err
		}
		names = append(names, n)
		if read && strings.HasSuffix(n, ".go") && !embeds {
			data, err := os.ReadFile(p)
			if err != nil {
				return false, err
			}
			embeds = bytes.Contains(data, []byte("//go:embed"))
		}
	}
	s.names[d] = strings.Join(names, "\n")
	return embeds, nil
}

// addTree stamps every file below d, for a package that embeds.
func (s *snapshot) addTree(d string) error {
	return filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if len(s.files) > maxSnapshotFiles {
			return errUnsafe
		}
		if e.IsDir() {
			if p != d {
				list, err := os.ReadDir(p)
				if err != nil {
					return err
				}
				var names []string
				for _, x := range list {
					names = append(names, x.Name())
				}
				s.names[p] = strings.Join(names, "\n")
			}
			return nil
		}
		return s.add(p)
	})
}

func (s *snapshot) add(p string) error {
	st, err := stampOf(p)
	if err != nil {
		return err
	}
	s.files[p] = st
	return nil
}

// changedSince reports a file that changed at or after t: go build may
// have read it before or after the change, and the snapshot proves
// nothing.
func (s *snapshot) changedSince(t time.Time) bool {
	limit := t.UnixNano()
	for _, st := range s.files {
		if st.mtime >= limit || st.ctime >= limit {
			return true
		}
	}
	return false
}

// same reports whether now matches s, apart from the files in skip.
func (s *snapshot) same(now *snapshot, skip map[string]bool) bool {
	if len(now.files) != len(s.files) || len(now.names) != len(s.names) {
		return false
	}
	for d, names := range s.names {
		if now.names[d] != names {
			return false
		}
	}
	for p, st := range s.files {
		if got, ok := now.files[p]; !ok || (got != st && !skip[p]) {
			return false
		}
	}
	return true
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
