package proctest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Alone runs the calling test again, in a process of its own where no
// other test runs whose children could be taken for the ones it counts,
// and reports whether this is that process. There, setup (when set) runs
// first: a test of golive's builds makes that process a child subreaper,
// as golive is.
func Alone(t *testing.T, setup func() error) bool {
	t.Helper()
	if os.Getenv("GOLIVE_ALONE") == t.Name() {
		if setup != nil {
			if err := setup(); err != nil {
				t.Fatal(err)
			}
		}
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

// Proc is what these tests read of /proc/PID/stat.
type Proc struct {
	PID, PPID, PGID int
	State           byte
	Comm            string
}

// Procs scans /proc.
func Procs() []Proc {
	entries, _ := os.ReadDir("/proc")
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		open, close := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
		if err != nil || open < 0 || close < open {
			continue
		}
		f := strings.Fields(string(data[close+1:]))
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgid, _ := strconv.Atoi(f[2])
		out = append(out, Proc{PID: pid, PPID: ppid, PGID: pgid, State: f[0][0], Comm: string(data[open+1 : close])})
	}
	return out
}

// BuildUnderWay returns the pid of this process's go command once a
// process of its group other than itself runs (a compile, an asm, a
// link, the C compiler): the build is under way. It returns 0 until
// then. The go command is the only child here that leads its own group.
func BuildUnderWay() int {
	all := Procs()
	self := os.Getpid()
	for _, p := range all {
		if p.PPID != self || p.PGID != p.PID {
			continue
		}
		for _, q := range all {
			if q.PGID == p.PID && q.PID != p.PID && q.State != 'Z' {
				return p.PID
			}
		}
	}
	return 0
}

// CancelMidBuild runs build, and cancels its context once the go command
// it starts has children and ready (when set) says so. It returns the go
// command's pid, which is its process group, or 0 if build returned
// before that.
func CancelMidBuild(ready func() bool, build func(ctx context.Context)) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	found := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(found)
		for {
			if pid := BuildUnderWay(); pid != 0 && (ready == nil || ready()) {
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

// CancelMidBuildRetry is CancelMidBuild until a build is cancelled
// midway, up to tries times: a build that finished before its cancel lost
// a race, and proves nothing. attempt sets up a fresh build each time (a
// cold cache, so that it runs long) and runs it in ctx. It fails t if no
// attempt was cancelled in time, and returns the go command's pid.
func CancelMidBuildRetry(t *testing.T, tries int, ready func() bool, attempt func(ctx context.Context)) int {
	t.Helper()
	for range tries {
		if pid := CancelMidBuild(ready, attempt); pid != 0 {
			return pid
		}
	}
	t.Fatalf("%d builds in a row finished before they could be cancelled", tries)
	return 0
}

// CheckNoneLeft fails t for a zombie child of this process and for any
// process left in the go command's group gopid.
func CheckNoneLeft(t *testing.T, gopid int) {
	t.Helper()
	self := os.Getpid()
	for _, p := range Procs() {
		if p.PPID == self && p.State == 'Z' {
			t.Errorf("zombie child %d (%s) left by the cancelled build", p.PID, p.Comm)
		}
		if p.PGID == gopid {
			t.Errorf("process %d (%s, state %c) of the build's group is left", p.PID, p.Comm, p.State)
		}
	}
}
