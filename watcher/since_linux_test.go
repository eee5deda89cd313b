package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChangedSince: with Options.Since, New reports whether a counted file
// or a watched directory changed since then, as a build running beside
// the walk may have missed it. Files the watcher does not count say
// nothing.
func TestChangedSince(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, root string)
		want   bool
	}{
		{"nothing", func(*testing.T, string) {}, false},
		{"a counted file rewritten", func(t *testing.T, root string) {
			write(t, root, "pkg/a.go", "package pkg // new\n")
		}, true},
		{"a counted file copied in with an old modification time", func(t *testing.T, root string) {
			write(t, root, "pkg/b.go", "package pkg\n")
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(root, "pkg", "b.go"), old, old); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a counted file dated in the future, unchanged since", func(t *testing.T, root string) {
			// Dated before the walk's Since: only its modification time is new.
		}, false},
		{"a file removed", func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "pkg", "a.go")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a file the watcher does not count", func(t *testing.T, root string) {
			os.WriteFile(filepath.Join(root, "notes.txt"), []byte("x"), 0o644) // the root's mtime changes too
		}, true},
		{"a file rewritten in place that the watcher does not count", func(t *testing.T, root string) {
			f, err := os.OpenFile(filepath.Join(root, "old.txt"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("changed")
			f.Close()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			write(t, root, "main.go", "package main\n")
			write(t, root, "pkg/a.go", "package pkg\n")
			write(t, root, "old.txt", "old")
			future := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(root, "main.go"), future, future); err != nil {
				t.Fatal(err)
			}
			// File times lag the clock by up to a kernel tick (10 ms at
			// CONFIG_HZ=100), so Since is set a tick early, as golive
			// does, and the tree is older than that.
			time.Sleep(30 * time.Millisecond)
			since := time.Now().Add(-10 * time.Millisecond)
			tt.change(t, root)
			w, err := New(Options{Root: root, Since: since})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := w.Changed(); got != tt.want {
				t.Fatalf("Changed() = %v after %s, want %v", got, tt.name, tt.want)
			}
		})
	}
}

// TestChangedSinceOff: without Since, New looks at no times.
func TestChangedSinceOff(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "main.go", "package main\n")
	w, err := New(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Changed() {
		t.Fatal("Changed() without Options.Since")
	}
}
