//go:build !linux

package watcher

import "fmt"

// watchError wraps an error of adding a watch; only inotify has limits
// worth a hint of their own.
func watchError(dir string, err error) error {
	return fmt.Errorf("watch %s: %w", dir, err)
}

// limit is false: only inotify has limits to switch to polling at.
func limit(error) bool { return false }

// limitText says that fsnotify could not start.
func limitText(err error) string { return fmt.Sprintf("watch: fsnotify: %v", err) }
