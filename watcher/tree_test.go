package watcher

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// newTestTree builds a tree over root whose adds go through add.
func newTestTree(t *testing.T, root string, opts Options, add func(string) error) (*tree, *[]error) {
	t.Helper()
	m, err := newMatcher(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []error
	tr := &tree{
		root: root, m: m, add: add, remove: func(string) error { return nil },
		warn: func(err error) { warnings = append(warnings, err) }, dirs: map[string]bool{},
		outside: map[string]bool{}, real: map[string]bool{}, realOf: map[string]string{},
	}
	return tr, &warnings
}

func walkFiles(t *testing.T, tr *tree) []string {
	t.Helper()
	var files []string
	if err := tr.walk(tr.root, func(rel string) error { files = append(files, rel); return nil }); err != nil {
		t.Fatalf("walk: %v", err)
	}
	slices.Sort(files)
	return files
}

func (tr *tree) relDirs() []string {
	var dirs []string
	for d := range tr.dirs {
		dirs = append(dirs, tr.rel(d))
	}
	slices.Sort(dirs)
	return dirs
}

func TestWalkSkipsIgnoredDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, rel := range []string{
		"main.go", "main_test.go", "go.mod", "README.md", "internal/a/a.go", "vendor/v/v.go",
		".git/x.go", "node_modules/m/x.go", "pkg/testdata/x.go", ".idea/x.go", "out/bin.go",
	} {
		write(t, root, rel, "x")
	}
	tr, _ := newTestTree(t, root, Options{Ignore: []string{filepath.Join(root, "out")}}, func(string) error { return nil })
	files := walkFiles(t, tr)
	if want := []string{"go.mod", "internal/a/a.go", "main.go", "vendor/v/v.go"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if want := []string{".", "internal", "internal/a", "pkg", "vendor", "vendor/v"}; !slices.Equal(tr.relDirs(), want) {
		t.Errorf("watched %v, want %v", tr.relDirs(), want)
	}
}

// A directory deleted between being found and being watched, or between
// being watched and being listed, is skipped without error.
func TestWalkDirVanishing(t *testing.T) {
	t.Parallel()
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer fsw.Close()
	root := t.TempDir()
	write(t, root, "a.go", "x")
	write(t, root, "before/x.go", "x")
	write(t, root, "after/x.go", "x")
	tr, warnings := newTestTree(t, root, Options{}, func(dir string) error {
		switch filepath.Base(dir) {
		case "before":
			os.RemoveAll(dir)
			return fsw.Add(dir) // fails with ENOENT
		case "after":
			err := fsw.Add(dir)
			os.RemoveAll(dir) // ReadDir fails with ENOENT
			return err
		}
		return fsw.Add(dir)
	})
	if files := walkFiles(t, tr); !slices.Equal(files, []string{"a.go"}) {
		t.Errorf("files %v, want only a.go", files)
	}
	if len(*warnings) != 0 {
		t.Errorf("warnings %v, want none", *warnings)
	}
}

func TestWalkUnreadableDirWarns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "a.go", "x")
	write(t, root, "locked/x.go", "x")
	tr, warnings := newTestTree(t, root, Options{}, func(dir string) error {
		if filepath.Base(dir) == "locked" {
			return &fs.PathError{Op: "inotify_add_watch", Path: dir, Err: fs.ErrPermission}
		}
		return nil
	})
	if files := walkFiles(t, tr); !slices.Equal(files, []string{"a.go"}) {
		t.Errorf("files %v, want only a.go", files)
	}
	if len(*warnings) != 1 || !errors.Is((*warnings)[0], fs.ErrPermission) {
		t.Errorf("warnings %v, want one permission error", *warnings)
	}
}

func TestDropForgetsSubtree(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, rel := range []string{"pkg/a/x.go", "pkg/b/x.go", "pkgx/x.go"} {
		write(t, root, rel, "x")
	}
	tr, _ := newTestTree(t, root, Options{}, func(string) error { return nil })
	walkFiles(t, tr)
	if tr.drop(filepath.Join(root, "nope")) {
		t.Error("drop of an unwatched directory reported true")
	}
	if !tr.drop(filepath.Join(root, "pkg")) {
		t.Error("drop of a watched directory reported false")
	}
	if want := []string{".", "pkgx"}; !slices.Equal(tr.relDirs(), want) {
		t.Errorf("watched %v, want %v", tr.relDirs(), want)
	}
}

// TestSymlinkedDirectories: a link to a directory outside the tree is
// followed and watched under the link's name; a link to a directory the
// tree holds (a loop back up among them) is not walked again, so the
// directory keeps its own name; a link to a directory above the tree
// ("..", "/") is not followed; a dangling link is no error.
func TestSymlinkedDirectories(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "app")
	write(t, root, "pkg/a.go", "package pkg")
	write(t, top, "shared/s/b.go", "package s")
	for link, target := range map[string]string{
		"alias":    filepath.Join(root, "pkg"),
		"pkg/loop": root,
		"shared":   filepath.Join(top, "shared"),
		"dangling": filepath.Join(top, "nothing"),
		"shared2":  filepath.Join(top, "shared"),
		"up":       top,
		"slash":    "/",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	tr, warnings := newTestTree(t, root, Options{}, func(string) error { return nil })
	files := walkFiles(t, tr)
	if dirs := tr.relDirs(); !slices.Equal(dirs, []string{".", "pkg", "shared", "shared/s"}) {
		t.Errorf("watched %v, want ., pkg and the outside tree once, under shared", dirs)
	}
	if !slices.Equal(files, []string{"pkg/a.go", "shared/s/b.go"}) {
		t.Errorf("files %v, want pkg/a.go and shared/s/b.go once each", files)
	}
	if len(*warnings) != 0 {
		t.Errorf("warnings %v", *warnings)
	}
}
