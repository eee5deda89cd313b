package watcher

import (
	"os"
	"path/filepath"
	"syscall"
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
			defer w.fsw.Close()
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
	defer w.fsw.Close()
	if w.Changed() {
		t.Fatal("Changed() without Options.Since")
	}
}

// TestFileClock: whatever changes after FileClock returns is stamped no
// earlier than its result, and what changed well before is stamped
// earlier, so Since from FileClock misses no change and flags no old one.
func TestFileClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "old.go", "package old\n")
	time.Sleep(30 * time.Millisecond) // two ticks at CONFIG_HZ=100
	for i := 0; i < 20; i++ {
		clock, err := FileClock(dir)
		if err != nil {
			t.Fatal(err)
		}
		if changedSince(filepath.Join(dir, "old.go"), clock) {
			t.Fatalf("round %d: a file written 30 ms before FileClock counts as changed since", i)
		}
		write(t, dir, "new.go", "package new\n")
		if !changedSince(filepath.Join(dir, "new.go"), clock) {
			t.Fatalf("round %d: a file written after FileClock does not count as changed since", i)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Fatalf("FileClock left its probe behind: %d entries", len(entries))
		}
		os.Remove(filepath.Join(dir, "new.go"))
	}
}

// TestSameFileClock: two directories of one file system share the file
// clock, and so do a temporary directory and /dev/shm (tmpfs, a local
// kind) when the temporary directory is on a local kind too; /proc
// (procfs) and a missing directory do not.
func TestSameFileClock(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	if !SameFileClock(a, b) {
		t.Fatalf("%s and %s, on one file system, do not share the clock", a, b)
	}
	if SameFileClock(a, "/proc") {
		t.Fatalf("%s and /proc share the clock", a)
	}
	if SameFileClock(a, filepath.Join(a, "missing")) {
		t.Fatal("a missing directory shares the clock")
	}
	if localFileSystem(a) && localFileSystem("/dev/shm") && !SameFileClock(a, "/dev/shm") {
		t.Fatalf("%s and /dev/shm, both local, do not share the clock", a)
	}
	if localFileSystem("/proc") {
		t.Fatal("/proc counts as a local file system with nanosecond times")
	}
}

// TestSharesClock: two file systems share the clock only if both are of a
// local kind and both show nanoseconds; one file system always does.
func TestSharesClock(t *testing.T) {
	t.Parallel()
	const ext4, xfs, nfs = 0xEF53, 0x58465342, 0x6969
	st := func(dev uint64, nsec int64) *syscall.Stat_t {
		return &syscall.Stat_t{Dev: dev, Ctim: syscall.Timespec{Sec: 1700000000, Nsec: nsec}}
	}
	for _, c := range []struct {
		name         string
		a, b         *syscall.Stat_t
		kindA, kindB int64
		want         bool
	}{
		{"one file system", st(1, 0), st(1, 0), nfs, nfs, true},
		{"two local, nanoseconds", st(1, 5), st(2, 7), ext4, xfs, true},
		{"a local one that keeps seconds", st(1, 0), st(2, 7), ext4, xfs, false},
		{"the other keeps seconds", st(1, 5), st(2, 0), ext4, ext4, false},
		{"a network share", st(1, 5), st(2, 7), nfs, ext4, false},
		{"unknown kind", st(1, 5), st(2, 7), 0, ext4, false},
	} {
		if got := sharesClock(c.a, c.b, c.kindA, c.kindB); got != c.want {
			t.Errorf("%s: sharesClock = %v, want %v", c.name, got, c.want)
		}
	}
}
