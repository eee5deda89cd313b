package watcher

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// watchError explains the errors of adding an inotify watch that a user can
// fix, rather than passing on "no space left on device". The backend
// polls past the limits (backend.add), so only a watch it did not route
// gets here with one.
func watchError(dir string, err error) error {
	if limit(err) {
		return fmt.Errorf("watch %s: %s", dir, strings.TrimPrefix(limitText(err), "watch: "))
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
