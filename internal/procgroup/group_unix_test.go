//go:build unix

package procgroup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
)

func TestMain(m *testing.M) {
	testkit.RunHelper()
	BecomeSubreaper() // as golive does: orphans of a killed group come back here
	os.Exit(m.Run())
}

func syscallKill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// A signal reaches the whole group, and Gone holds only once the leader
// and its child, which ignores the signal, are both gone.
func TestGroupSignalKillGone(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	pidfile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), testkit.HelperEnv+"=spawn", "GOLIVE_ADDR=127.0.0.1:0", "GOLIVE_PIDFILE="+pidfile)
	cmd.Stdout = out
	cmd.WaitDelay = 50 * time.Millisecond // the child keeps the output pipe after the leader is gone
	g, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	out.Wait(t, "ready")
	out.Wait(t, "ready") // the child's: it ignores SIGTERM from now on
	child := testkit.ReadPid(t, pidfile)
	if g.Gone() {
		t.Fatal("Gone with the program and its child running")
	}
	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // the leader dies of SIGTERM; its child ignores it
	if !Alive(child) {
		t.Fatalf("the child %d, which ignores SIGTERM, is gone", child)
	}
	if g.Gone() {
		t.Fatalf("Gone with the child %d running", child)
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	if !g.WaitGone(testkit.Timeout) {
		t.Fatalf("the group is not gone after Kill")
	}
	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("signalling a group with nothing left: %v", err)
	}
}

// Run kills the whole group when its context is cancelled, and returns
// once nothing of it is left.
func TestRunCancelKillsGroup(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	out := testkit.NewLineWaiter()
	pidfile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), testkit.HelperEnv+"=spawn", "GOLIVE_ADDR=127.0.0.1:0", "GOLIVE_PIDFILE="+pidfile)
	cmd.Stdout = out
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cmd) }()
	out.Wait(t, "ready")
	out.Wait(t, "ready")
	child := testkit.ReadPid(t, pidfile)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a killed command reported success")
	}
	// Run waits only a second for the group to be gone. On a loaded
	// machine the killed child can take longer to exit, and then its
	// zombie, re-parented to this process (a subreaper), is this test's
	// to reap: it is dead all the same.
	testkit.Until(t, 0, "the child dead", func() bool {
		var ws syscall.WaitStatus
		syscall.Wait4(child, &ws, syscall.WNOHANG, nil)
		return !Alive(child)
	})
}
