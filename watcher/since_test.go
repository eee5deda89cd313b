package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file modified after the first build started (Since) may hold an edit
// that build missed: it is offered in the first batch; older files are
// not, and their baseline makes a touch of them a no-op.
func TestSinceOffersFreshFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "old.go", "package main\n")
	write(t, root, "fresh.go", "package main\n")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "old.go"), past, past); err != nil {
		t.Fatal(err)
	}
	s := start(t, root, Options{Since: time.Now().Add(-time.Minute)})
	s.expect(Change{Path: "fresh.go", Op: Write})
	s.write("old.go", "package main\n") // same bytes: nothing
	s.write("fresh.go", "package main\n\nvar x = 1\n")
	s.expect(Change{Path: "fresh.go", Op: Write})
}
