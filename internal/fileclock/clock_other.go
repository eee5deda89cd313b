//go:build !linux

package fileclock

import (
	"os"
	"time"
)

// ChangedSince reports whether the file or directory name was modified at
// or after t. It goes by the modification time alone: without change
// times a copy that kept an old one goes unseen, which is why golive
// walks before it builds here (watcher.Options.Since).
func ChangedSince(name string, t time.Time) bool {
	fi, err := os.Lstat(name)
	return err != nil || !fi.ModTime().Before(t)
}

// Now is time.Now: without change times there is nothing to compare it
// with.
func Now(string) (time.Time, error) { return time.Now(), nil }

// Shared is false: there is no Now to trust.
func Shared(a, b string) bool { return false }
