package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// alone runs the calling test again, in a process of its own where no
// other test runs whose children could be taken for the ones it counts,
// and reports whether this is that process. TestMain made that process
// a child subreaper, as golive is.
func alone(t *testing.T) bool {
	t.Helper()
	if os.Getenv("GOLIVE_ALONE") == t.Name() {
		return true
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "GOLIVE_ALONE="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a process of its own: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Skipf("%s", out)
	}
	return false
}

// buildUnderWay returns the pid of this process's go command once a
// process of its group other than itself runs: a compile, an asm, a
// link. The go command is the only child here that leads its own group.
func buildUnderWay() int {
	var all []procStat
	eachProc(func(st procStat) { all = append(all, st) })
	self := os.Getpid()
	for _, p := range all {
		if p.ppid != self || p.pgid != p.pid {
			continue
		}
		for _, q := range all {
			if q.pgid == p.pid && q.pid != p.pid && q.state != 'Z' {
				return p.pid
			}
		}
	}
	return 0
}

// cancelMidBuild runs build and cancels its context once the go command
// it starts has children. It returns the go command's pid, which is its
// group, or 0 if build returned before that.
func cancelMidBuild(build func(ctx context.Context)) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	found := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(found)
		for {
			if pid := buildUnderWay(); pid != 0 {
				found <- pid
				cancel()
				return
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	build(ctx)
	close(done)
	return <-found
}

// A cancelled build leaves no zombie behind: the compile and link
// processes that the killed go command leaves to golive are reaped.
func TestBuildCancelLeavesNoZombies(t *testing.T) {
	if !alone(t) {
		return
	}
	dir := fixture(t, "package main\n\nimport _ \"net/http\"\n\nfunc main() {}\n")
	t.Setenv("GOCACHE", t.TempDir()) // the standard library is compiled: slow enough
	b, _ := newTestBuilder(t, dir)
	var res BuildResult
	gopid := cancelMidBuild(func(ctx context.Context) { res = b.Build(ctx) })
	if gopid == 0 {
		t.Skip("the build finished before it had children to kill")
	}
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	self := os.Getpid()
	eachProc(func(p procStat) {
		if p.ppid == self && p.state == 'Z' {
			t.Errorf("zombie child %d left by the cancelled build", p.pid)
		}
		if p.pgid == gopid {
			t.Errorf("process %d (state %c) of the build's group is left", p.pid, p.state)
		}
	})
}
