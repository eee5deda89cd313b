//go:build linux

package replay

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

// TestSweepJudgesOnlyAbsoluteRoots: a store whose root file is empty or
// relative (an older golive's, or a build of Dir "") says nothing about
// its project, wherever the sweeping golive runs, and stays; one whose
// absolute root is gone goes, and leaves nothing behind.
func TestSweepJudgesOnlyAbsoluteRoots(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	store := func(name, root string) string {
		dir := filepath.Join(parent, name+StoreSuffix)
		if err := os.MkdirAll(filepath.Join(dir, "tmp", "go-build1", "b001"), 0o755); err != nil {
			t.Fatal(err)
		}
		testkit.WriteFile(t, filepath.Join(dir, "lock"), "")
		testkit.WriteFile(t, filepath.Join(dir, "root"), root)
		testkit.WriteFile(t, filepath.Join(dir, "tmp", "go-build1", "b001", "x.a"), "archive")
		return dir
	}
	empty := store("empty-00000000", "")
	relative := store("relative-00000000", filepath.Join("no", "such", "dir"))
	gone := store("gone-00000000", filepath.Join(t.TempDir(), "removed"))
	SweepStores(parent)
	for _, s := range []string{empty, relative} {
		if _, err := os.Stat(s); err != nil {
			t.Errorf("store %s, whose root says nothing, was swept: %v", s, err)
		}
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("the store of a removed project is still there: %v", err)
	}
	left, _ := os.ReadDir(filepath.Join(parent, sweptDir))
	if len(left) != 0 {
		t.Errorf("the sweep left %d entries in %s", len(left), sweptDir)
	}
}

// TestOpenStoreRecordsAnAbsoluteRoot: a build whose Dir is relative still
// names its project by an absolute path.
func TestOpenStoreRecordsAnAbsoluteRoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := OpenStore(filepath.Join(dir, "x"+StoreSuffix), Options{Dir: ".", Args: []string{"build", "-buildvcs=false"}})
	if s == nil {
		t.Fatal("no store")
	}
	defer s.lock.Close()
	got, err := os.ReadFile(filepath.Join(s.dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(string(got)) {
		t.Fatalf("root is %q, want an absolute path", got)
	}
}

// TestTakeSweepsBesideTheBuild: what no recipe uses (a $WORK left by an
// earlier session) is out of the store's tmp/ as soon as Take returns,
// moved aside, and gone once the sweep beside the build is done.
func TestTakeSweepsBesideTheBuild(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "x"+StoreSuffix)
	opts := Options{Dir: t.TempDir(), Args: []string{"build", "-buildvcs=false"}}
	s := OpenStore(dir, opts)
	if s == nil {
		t.Fatal("no store")
	}
	defer s.lock.Close()
	left := filepath.Join(s.Tmp(), "go-build123", "b001", "_pkg_.a")
	testkit.WriteFile(t, left, "an archive no recipe uses")
	s.Take(New(opts))
	if _, err := os.Stat(filepath.Dir(filepath.Dir(left))); !os.IsNotExist(err) {
		t.Errorf("the unused $WORK is still in tmp/ after Take: %v", err)
	}
	s.sweeping.Wait()
	if left, _ := os.ReadDir(filepath.Join(dir, "swept")); len(left) != 0 {
		t.Errorf("swept/ still holds %d entries after the sweep", len(left))
	}
}
