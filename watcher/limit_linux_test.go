package watcher

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestLimitSwitchesToPolling: with the inotify watch limit lowered for
// real (a user namespace of its own, where the limit is the test's to
// set), the watcher says on one line which limit it reached and how to
// raise it, and polls from there on: an edit in a directory past the
// limit is seen.
func TestLimitSwitchesToPolling(t *testing.T) {
	t.Parallel()
	if os.Getenv("GOLIVE_LIMIT_CHILD") != "" {
		t.Skip("the child's own run")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare here")
	}
	cmd := exec.Command("unshare", "-U", "-r", "sh", "-c",
		`echo 4 > /proc/sys/user/max_inotify_watches && exec "$0" -test.run='^TestLimitChild$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "GOLIVE_LIMIT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "=== RUN") {
		t.Skipf("cannot lower the limit in a user namespace here (unshare -U -r, Linux 5.11 or later): %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestLimitChild") {
		t.Fatalf("the child under a watch limit of 4: %v\n%s", err, out)
	}
}

// TestLimitChild is TestLimitSwitchesToPolling's child, run under the
// lowered limit.
func TestLimitChild(t *testing.T) {
	if os.Getenv("GOLIVE_LIMIT_CHILD") == "" {
		t.Skip("run by TestLimitSwitchesToPolling")
	}
	root := t.TempDir()
	for i := range 8 {
		write(t, root, fmt.Sprintf("d%d/x.go", i), "package x")
	}
	var warns []string
	w, err := New(Options{Root: root, PollInterval: 20 * time.Millisecond, Debounce: 20 * time.Millisecond,
		Warn: func(err error) { warns = append(warns, err.Error()) }})
	if err != nil {
		t.Fatalf("New under the limit: %v", err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "fs.inotify.max_user_watches") || !strings.Contains(warns[0], "sudo sysctl fs.inotify.max_user_watches=") {
		t.Fatalf("warnings %q, want one line naming the limit and the sysctl", warns)
	}
	if w.be.poll.count() == 0 {
		t.Fatal("nothing polled past the limit")
	}
	out := make(chan Batch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()
	defer func() { cancel(); <-done }()
	write(t, root, "d7/x.go", "package x // edited")
	select {
	case b := <-out:
		if len(b.Changes) != 1 || b.Changes[0].Path != "d7/x.go" {
			t.Fatalf("batch %v, want d7/x.go", b.Changes)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no batch for an edit past the limit")
	}
}
