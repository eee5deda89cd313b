//go:build !linux

package watcher

import "fmt"

// watchError wraps an error of adding a watch; only inotify has limits
// worth a hint of their own.
func watchError(dir string, err error) error {
	return fmt.Errorf("watch %s: %w", dir, err)
}
