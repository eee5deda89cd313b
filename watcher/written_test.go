package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestWritten: what a command wrote is what the filter counts, changed
// since the command began, with bytes other than the watcher knows: not
// a file rewritten with the same bytes, not one the filter leaves out,
// not one in a hidden directory; a file outside the root is found in
// the directories named.
func TestWritten(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "app")
	lib := filepath.Join(top, "lib")
	for _, f := range []string{"app/main.go", "app/same.go", "app/views/a.templ", "lib/lib.go"} {
		write(t, top, f, "package x\n")
	}
	w, err := New(Options{Root: root, Include: []string{"**/*.templ"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	since := time.Now()
	time.Sleep(20 * time.Millisecond) // the command's writes come after its start
	write(t, root, "gen_templ.go", "package x // new\n")
	write(t, root, "same.go", "package x\n")
	write(t, root, "views/a_templ.txt", "text")
	write(t, root, ".cache/x.go", "package x\n")
	write(t, lib, "lib.go", "package x // generated\n")
	got := w.Written(since)
	if want := []string{"gen_templ.go"}; !slices.Equal(got, want) {
		t.Errorf("Written = %v, want %v", got, want)
	}
	if err := os.RemoveAll(filepath.Join(root, "views")); err != nil {
		t.Fatal(err)
	}
	if got := w.Written(time.Now().Add(time.Hour)); len(got) != 0 {
		t.Errorf("Written after everything: %v", got)
	}
}
