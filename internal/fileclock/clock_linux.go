package fileclock

import (
	"os"
	"syscall"
	"time"
)

// ChangedSince reports whether the file or directory name was modified,
// or its inode changed (a rename, a copy that kept an old modification
// time), at or after t. One that is gone counts as changed: it was there
// when the walk listed it. The change time alone says it: every change
// of the content, or of the modification time, sets it to the file
// system's clock, and no one can set it otherwise, while a modification
// time can lie in the future (an archive from a machine whose clock was
// ahead, touch -d), and would make a file that never changes look new at
// every start.
func ChangedSince(name string, t time.Time) bool {
	fi, err := os.Lstat(name)
	if err != nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	return st.Ctim.Nano() >= t.UnixNano()
}

// Now returns the time the file system gives a change made now, read
// from a probe file it creates in dir and removes: file times come from a
// clock that lags the real one by up to a kernel tick, so time.Now would
// be too late a mark for a change that comes after it. A change after the call is stamped
// no earlier than the result. The probe is changed once more after its
// time was read, which makes kernels with fine-grained change times stamp
// it with the real time rather than the tick's.
func Now(dir string) (time.Time, error) {
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

// Shared reports whether changes in a and in b are stamped by one
// clock at full resolution: both on one file system, or both on local
// file systems of kinds that take the kernel's clock to the nanosecond.
// Only then does Now, read in one, say when a change in the other
// was stamped: a network share or a virtual machine's host file system
// may stamp with another clock, and some file systems round times down
// (to the second, or two), so a change made after Now could look
// older than it. A kind does not settle the resolution: ext4 with
// 128-byte inodes, as ext2 and ext3 were made, keeps whole seconds. So a
// and b must also carry a change time with nanoseconds, which a file
// system that keeps seconds never shows (and one that keeps nanoseconds
// shows but for one time in a billion, which only costs the walk its
// place beside the build).
func Shared(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sharesClock(&sa, &sb, fsKind(a), fsKind(b))
}

func sharesClock(a, b *syscall.Stat_t, kindA, kindB int64) bool {
	if a.Dev == b.Dev {
		return true // one clock, one resolution: a rounded Now rounds alike
	}
	return localKinds[kindA] && localKinds[kindB] && a.Ctim.Nsec != 0 && b.Ctim.Nsec != 0
}

// localKinds are the statfs magic numbers of local file systems that
// stamp with the kernel's clock, to the nanosecond where their format
// has room for it.
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

// fsKind is the statfs magic number of dir's file system, or 0.
func fsKind(dir string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0
	}
	return int64(st.Type)
}

func localFileSystem(dir string) bool { return localKinds[fsKind(dir)] }
