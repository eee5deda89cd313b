package watcher

import "testing"

// TestQuietFS: a local file system (the test's temp directory, and /proc
// which is no share either) is not taken for one that sends no events,
// and every kind golive polls by itself has its name.
func TestQuietFS(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{t.TempDir(), "/proc"} {
		if kind := quietFS(dir); kind != "" {
			t.Errorf("quietFS(%s) = %q, want a file system that sends events", dir, kind)
		}
	}
	for _, want := range []string{"9p", "NFS", "CIFS", "SMB2", "SMB", "FUSE", "vboxsf"} {
		found := false
		for _, kind := range quietKinds {
			found = found || kind == want
		}
		if !found {
			t.Errorf("no magic number for %s", want)
		}
	}
}
