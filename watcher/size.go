package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// bigTree is how many directories a start in / or in the home directory
// may hold before golive refuses to watch it: a project's tree holds far
// fewer, a home directory full of other projects and caches far more.
var bigTree = 10_000

var errBigTree = errors.New("too many directories")

// checkSize refuses a root that is / or the home directory itself and
// holds more than bigTree directories golive would watch. It goes by the
// tree's size, not the path alone: a container whose home is the project
// (/app) starts as usual.
func checkSize(root string, m *matcher) error {
	home, _ := os.UserHomeDir()
	var what string
	switch {
	case filepath.Dir(root) == root:
		what = "the file system's root"
	case home != "" && sameDir(root, home):
		what = "your home directory"
	default:
		return nil
	}
	n := 0
	err := filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil // what vanishes or cannot be read is not counted
		}
		if rel, _ := filepath.Rel(root, name); rel != "." && m.skipDir(filepath.ToSlash(rel)) {
			return filepath.SkipDir
		}
		if n++; n > bigTree {
			return errBigTree
		}
		return nil
	})
	if !errors.Is(err, errBigTree) {
		return nil
	}
	return fmt.Errorf("watch %s: it is %s and holds more than %d directories; start golive in the project's directory, or set watch.allow_root = true", root, what, bigTree)
}

func sameDir(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}
