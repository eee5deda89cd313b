package fileclock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNow: whatever changes after Now returns is stamped no
// earlier than its result, and what changed well before is stamped
// earlier, so a mark from Now misses no change and flags no old one.
func TestNow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "old.go", "package old\n")
	time.Sleep(30 * time.Millisecond) // two ticks at CONFIG_HZ=100
	for i := 0; i < 20; i++ {
		clock, err := Now(dir)
		if err != nil {
			t.Fatal(err)
		}
		if ChangedSince(filepath.Join(dir, "old.go"), clock) {
			t.Fatalf("round %d: a file written 30 ms before Now counts as changed since", i)
		}
		write(t, dir, "new.go", "package new\n")
		if !ChangedSince(filepath.Join(dir, "new.go"), clock) {
			t.Fatalf("round %d: a file written after Now does not count as changed since", i)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Fatalf("Now left its probe behind: %d entries", len(entries))
		}
		os.Remove(filepath.Join(dir, "new.go"))
	}
}

// TestShared: two directories of one file system share the file
// clock, and so do a temporary directory and /dev/shm (tmpfs, a local
// kind) when the temporary directory is on a local kind too; /proc
// (procfs) and a missing directory do not.
func TestShared(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	if !Shared(a, b) {
		t.Fatalf("%s and %s, on one file system, do not share the clock", a, b)
	}
	if Shared(a, "/proc") {
		t.Fatalf("%s and /proc share the clock", a)
	}
	if Shared(a, filepath.Join(a, "missing")) {
		t.Fatal("a missing directory shares the clock")
	}
	if localFileSystem(a) && localFileSystem("/dev/shm") && !Shared(a, "/dev/shm") {
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

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSlack: a file changed just after a reading of the real clock is
// stamped no earlier than Slack before it, so a mark of time.Now minus
// Slack, as golive takes when it cannot read the file clock, misses no
// change made after the reading.
func TestSlack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 50 {
		before := time.Now()
		write(t, dir, "f.go", "package f\n")
		if !ChangedSince(filepath.Join(dir, "f.go"), before.Add(-Slack)) {
			t.Fatalf("round %d: a write after %v is stamped more than %s before it", i, before, Slack)
		}
	}
}
