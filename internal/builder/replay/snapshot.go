package replay

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
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
// Only the local modules' packages are taken (the main module, a
// go.work's modules, the targets of a replace by a local directory): the
// standard library and the module cache do not change under a running
// golive. A vendor directory gets no replay at all.

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
var errUnsafe = errors.New("replay: the build reads sources golive cannot stamp (a vendor directory, over 5,000 files, or no Linux)")

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

// takeSnapshot stamps the inputs of the given package directories, plus
// the module files go build reads (every local module's go.mod and
// go.sum, the go.work and go.work.sum). A package that embeds files has its
// whole directory tree stamped, since embed patterns reach below it.
// Which ones embed is read from the Go files, unless like is the snapshot
// to compare with: then like's answer stands (a file that changed since
// fails the comparison anyway), and no file is read.
func takeSnapshot(m modules, dirs []string, like *snapshot) (*snapshot, error) {
	s := &snapshot{files: map[string]stamp{}, names: map[string]string{}, trees: map[string]bool{}}
	for _, f := range m.files() {
		if err := s.add(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
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

// differs names a file or directory of now that does not match s, apart
// from the files in skip, or returns "".
func (s *snapshot) differs(now *snapshot, skip map[string]bool) string {
	for d, names := range s.names {
		if got, ok := now.names[d]; !ok || got != names {
			return "the file list of " + d
		}
	}
	for d := range now.names {
		if _, ok := s.names[d]; !ok {
			return "the file list of " + d
		}
	}
	for p, st := range s.files {
		if got, ok := now.files[p]; !ok || (got != st && !skip[p]) {
			return p
		}
	}
	for p := range now.files {
		if _, ok := s.files[p]; !ok {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
