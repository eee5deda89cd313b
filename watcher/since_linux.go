package watcher

import (
	"os"
	"syscall"
	"time"
)

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

// SameFileSystem reports whether a and b are on one file system. Only
// then does FileClock, read in one, say when a change in the other was
// stamped: another file system may stamp with another clock (a network
// or a virtual machine's host file system) or round its times down (to
// the second, or two), and a change made after FileClock could then
// look older than it.
func SameFileSystem(a, b string) bool {
	var sa, sb syscall.Stat_t
	return syscall.Stat(a, &sa) == nil && syscall.Stat(b, &sb) == nil && sa.Dev == sb.Dev
}
