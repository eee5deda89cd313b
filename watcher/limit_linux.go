package watcher

import (
	"errors"
	"fmt"
	"syscall"
)

// watchError explains the errors of adding an inotify watch that a user can
// fix, rather than passing on "no space left on device".
func watchError(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("watch %s: inotify watch limit reached; raise it with: sudo sysctl fs.inotify.max_user_watches=524288", dir)
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("watch %s: inotify instance limit (or open file limit) reached; raise it with: sudo sysctl fs.inotify.max_user_instances=1024", dir)
	}
	return fmt.Errorf("watch %s: %w", dir, err)
}
