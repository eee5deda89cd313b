package watcher

import (
	"os"
	"syscall"
	"time"
)

// ChangedSince reports whether the file or directory name was modified,
// or its inode changed, at or after t, as New judges with Options.Since.
func ChangedSince(name string, t time.Time) bool { return changedSince(name, t) }

// changedSince reports whether the file or directory name was modified,
// or its inode changed (a rename, a copy that kept an old modification
// time), at or after t. One that is gone counts as changed: it was there
// when the walk listed it.
func changedSince(name string, t time.Time) bool {
	fi, err := os.Lstat(name)
	if err != nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	limit := t.UnixNano()
	return fi.ModTime().UnixNano() >= limit || st.Ctim.Nano() >= limit
}

// FileClock returns the time the file system gives a change made now, read
// from a probe file it creates in dir and removes: file times come from a
// clock that lags the real one by up to a kernel tick, so time.Now would
// be too late a mark for Options.Since. A change after the call is stamped
// no earlier than the result. The probe is changed once more after its
// time was read, which makes kernels with fine-grained change times stamp
// it with the real time rather than the tick's.
func FileClock(dir string) (time.Time, error) {
	f, err := os.CreateTemp(dir, ".clock-")
	if err != nil {
		return time.Time{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Stat(); err != nil {
		return time.Time{}, err
	}
	if err := f.Chmod(0o600); err != nil {
		return time.Time{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return time.Time{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, os.ErrInvalid
	}
	return time.Unix(0, st.Ctim.Nano()), nil
}

// SameFileClock reports whether changes in a and in b are stamped by one
// clock at full resolution: both on one file system, or both on local
// file systems of kinds that take the kernel's clock to the nanosecond.
// Only then does FileClock, read in one, say when a change in the other
// was stamped: a network share or a virtual machine's host file system
// may stamp with another clock, and some file systems round times down
// (to the second, or two), so a change made after FileClock could look
// older than it.
func SameFileClock(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev || (localFileSystem(a) && localFileSystem(b))
}

// localKinds are the statfs magic numbers of local file systems with
// nanosecond times from the kernel's clock.
var localKinds = map[int64]bool{
	0xEF53:     true, // ext2, ext3, ext4
	0x58465342: true, // xfs
	0x9123683E: true, // btrfs
	0x01021994: true, // tmpfs
	0xF2F52010: true, // f2fs
	0x2FC12FC1: true, // zfs
	0x794C7630: true, // overlayfs
	0xCA451A4E: true, // bcachefs
}

func localFileSystem(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && localKinds[int64(st.Type)]
}
