package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/golive-dev/golive/internal/builder/replay"
	"github.com/golive-dev/golive/internal/procgroup"
)

// WorkDir is the directory golive owns for one session: the binary that
// runs, the one being built, and go's temp files. It lives in the user's
// cache directory, not in the project, so there is nothing to .gitignore.
// The name carries golive's pid so two sessions never share one, and a
// session killed before it could clean up is swept by the next one.
type WorkDir struct {
	dir    string
	name   string // the binary's base name, so ps shows the program's name
	recipe string // the project's recipe store (replay.Store), shared by its sessions
	gotmp  string
	seq    atomic.Int64
	swept  chan struct{} // closed when replay.SweepStores is done
}

// NewWorkDir creates the work directory for the project at root, whose
// binary is called name.
func NewWorkDir(root, name string) (*WorkDir, error) { return NewServiceWorkDir(root, "", name) }

// NewServiceWorkDir is NewWorkDir for one service of several in root:
// each has a work directory and a recipe store of its own.
func NewServiceWorkDir(root, service, name string) (*WorkDir, error) {
	key := root
	if service != "" {
		key += "\x00" + service
	}
	sum := sha256.Sum256([]byte(key))
	prefix := filepath.Base(root) + "-" + hex.EncodeToString(sum[:4]) + "-"
	parent, err := workParent()
	if err != nil {
		return nil, err
	}
	sweepStale(parent, prefix)
	// In the background: the stores name other projects, and a stat of
	// one on a network share that no longer answers can block for good;
	// golive must start anyway. A sweep cut short by golive's exit leaves
	// what it moved aside to the next one.
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		replay.SweepStores(parent)
	}()
	dir := filepath.Join(parent, prefix+strconv.Itoa(os.Getpid()))
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	recipe := filepath.Join(parent, strings.TrimSuffix(prefix, "-")+replay.StoreSuffix) // no pid: sweepStale leaves it
	return &WorkDir{dir: dir, name: name, recipe: recipe, gotmp: filepath.Join(dir, "tmp"), swept: swept}, nil
}

// workParent returns the user's cache directory for golive, or a temp
// directory when there is no usable cache (HOME unset or read-only).
func workParent() (string, error) {
	if base, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(base, "golive")
		if os.MkdirAll(dir, 0o755) == nil {
			return dir, nil
		}
	}
	dir := filepath.Join(os.TempDir(), "golive-"+strconv.Itoa(os.Getuid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create work directory: %w", err)
	}
	return dir, nil
}

// sweepStale removes the work directories of sessions of the same project
// whose golive is no longer running.
func sweepStale(parent, prefix string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), prefix))
		if !strings.HasPrefix(e.Name(), prefix) || err != nil || procgroup.Alive(pid) {
			continue
		}
		os.RemoveAll(filepath.Join(parent, e.Name()))
	}
}

// Dir is the work directory's path.
func (w *WorkDir) Dir() string { return w.dir }

// Binary is the path of the binary that runs next.
func (w *WorkDir) Binary() string { return filepath.Join(w.dir, w.name) }

// Cache is golive's cache directory, which holds every project's work
// directories and recipe stores: a path that stays the same from one
// session to the next, and the same for every service of a project.
func (w *WorkDir) Cache() string { return filepath.Dir(w.recipe) }

// GoTmp is the GOTMPDIR for go build, swept after a killed build.
func (w *WorkDir) GoTmp() string { return w.gotmp }

func (w *WorkDir) nextTemp() string {
	n := w.seq.Add(1)
	if runtime.GOOS == "windows" {
		base := strings.TrimSuffix(w.name, ".exe")
		return filepath.Join(w.dir, fmt.Sprintf("%s-%d.exe", base, n))
	}
	return filepath.Join(w.dir, fmt.Sprintf(".%s.build-%d", w.name, n))
}

// place puts a fresh build where the next start finds it and returns
// that path. On Unix that is a rename onto Binary: same directory, so the
// swap is atomic, and the running program keeps its open inode. Windows
// cannot rename over a running .exe, so there each build keeps its own
// name, and older builds are deleted once they no longer run (deleting a
// running .exe fails, which is what keeps the current one).
func (w *WorkDir) place(tmp string) (string, error) {
	if runtime.GOOS != "windows" {
		return w.Binary(), os.Rename(tmp, w.Binary())
	}
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		if p := filepath.Join(w.dir, e.Name()); p != tmp && strings.HasSuffix(e.Name(), ".exe") {
			os.Remove(p)
		}
	}
	return tmp, nil
}

// sweepGoTmp removes what a killed go build left in GOTMPDIR. Builds never
// overlap, so nothing in there belongs to a running build.
func (w *WorkDir) sweepGoTmp() {
	entries, _ := os.ReadDir(w.GoTmp())
	for _, e := range entries {
		os.RemoveAll(filepath.Join(w.GoTmp(), e.Name()))
	}
}

// Remove deletes the work directory; golive calls it on exit.
func (w *WorkDir) Remove() error { return os.RemoveAll(w.dir) }
