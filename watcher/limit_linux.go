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

// limit reports whether err is inotify's watch or instance limit.
func limit(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE)
}

// limitText says which limit err is and the command that raises it.
func limitText(err error) string {
	if errors.Is(err, syscall.ENOSPC) {
		return "watch: the inotify watch limit is reached (fs.inotify.max_user_watches); raise it with: sudo sysctl fs.inotify.max_user_watches=524288"
	}
	if errors.Is(err, syscall.EMFILE) {
		return "watch: the inotify instance limit is reached (fs.inotify.max_user_instances, or the open file limit); raise it with: sudo sysctl fs.inotify.max_user_instances=1024"
	}
	return fmt.Sprintf("watch: fsnotify: %v", err)
}
