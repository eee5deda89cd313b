package watcher

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWatchLimitError(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, "deep/x.go", "x")
	tr, _ := newTestTree(t, root, Options{}, func(dir string) error {
		if filepath.Base(dir) == "deep" {
			return fmt.Errorf("fsnotify: %w", syscall.ENOSPC)
		}
		return nil
	})
	err := tr.walk(root, func(string) error { return nil })
	if err == nil {
		t.Fatal("walk succeeded past the watch limit")
	}
	msg := err.Error()
	if !strings.Contains(msg, "sysctl fs.inotify.max_user_watches=") || !strings.Contains(msg, "deep") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming the directory and the sysctl", msg)
	}
}
