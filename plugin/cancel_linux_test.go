package plugin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/runner"
)

// alone runs the calling test again, in a process of its own where no
// other test runs whose children could be taken for the ones it counts,
// and reports whether this is that process. That process makes itself
// a child subreaper, as golive does, so the orphans of a killed go build
// become its children.
func alone(t *testing.T) bool {
	t.Helper()
	if os.Getenv("GOLIVE_ALONE") == t.Name() {
		if err := runner.BecomeSubreaper(); err != nil {
			t.Fatal(err)
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

// stat is what these tests read of /proc/PID/stat.
type stat struct {
	pid, ppid, pgid int
	state           byte
	comm            string
}

func procs() []stat {
	entries, _ := os.ReadDir("/proc")
	var out []stat
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
		out = append(out, stat{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0], comm: string(data[open+1 : close])})
	}
	return out
}

// goBuildWithChildren returns the pid of this process's go command once a
// process of its group other than itself runs (a compile, cgo, the C
// compiler): the build is under way. It returns 0 until then.
func goBuildWithChildren() int {
	all := procs()
	self := os.Getpid()
	for _, p := range all {
		if p.ppid != self || p.comm != "go" {
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

// cancelMidBuild runs build, and cancels its context once the go command
// it starts has children and ready (when set) says so. It returns the go
// command's pid, which is its process group, or 0 if build returned
// before that.
func cancelMidBuild(t *testing.T, ready func() bool, build func(ctx context.Context)) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	found := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(found)
		for {
			if pid := goBuildWithChildren(); pid != 0 && (ready == nil || ready()) {
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

// slowPlugin is a plugin tree whose build, with an empty GOCACHE, runs
// long enough to be cancelled halfway.
var slowPlugin = map[string]string{
	"go.mod":       "module example.com/app\n\ngo 1.26\n",
	"greeter/g.go": "package greeter\n\nimport _ \"net/http\"\n\nfunc Greet() string { return \"hi\" }\n",
}

// A cancelled plugin build leaves no zombie behind: the compile and link
// processes that the killed go command leaves to golive are reaped.
func TestCancelledBuildLeavesNoZombies(t *testing.T) {
	if !alone(t) {
		return
	}
	if err := Supported(context.Background(), ".", os.Environ()); err != nil {
		t.Skip(err)
	}
	env := append(os.Environ(), "GOCACHE="+t.TempDir(), "GOPROXY=off")
	b, tree := newTestBuilder(t, slowPlugin, runner.BuildOptions{Env: env})
	var res Result
	gopid := cancelMidBuild(t, nil, func(ctx context.Context) { res = b.Build(ctx, tree) })
	if gopid == 0 {
		t.Skip("the build finished before it had children to kill")
	}
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	self := os.Getpid()
	for _, p := range procs() {
		if p.ppid == self && p.state == 'Z' {
			t.Errorf("zombie child %d (%s) left by the cancelled build", p.pid, p.comm)
		}
		if p.pgid == gopid {
			t.Errorf("process %d (%s, state %c) of the build's group is left", p.pid, p.comm, p.state)
		}
	}
}

// A cancelled plugin build leaves nothing in go's temp directory: go
// build's GOTMPDIR is the builder's own, swept after the cancel, and
// not the program build's.
func TestCancelledBuildSweepsGoTmp(t *testing.T) {
	if err := Supported(context.Background(), ".", os.Environ()); err != nil {
		t.Skip(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // where NewWorkDir puts the work directory
	dir := t.TempDir()
	writeFiles(t, dir, slowPlugin)
	work, err := runner.NewWorkDir(dir, "app")
	if err != nil {
		t.Fatal(err)
	}
	defer work.Remove()
	env := append(os.Environ(), "GOCACHE="+t.TempDir(), "GOPROXY=off")
	b, err := NewBuilder(Options{Build: runner.BuildOptions{Dir: dir, Env: env, Work: work}, Packages: []string{"./greeter"}})
	if err != nil {
		t.Fatal(err)
	}
	goWork := func(dir string) []string {
		matches, _ := filepath.Glob(filepath.Join(dir, "go-build*"))
		return matches
	}
	var seen []string // go's work directory, once it exists
	started := func() bool {
		seen = append(goWork(b.tmp), goWork(work.GoTmp())...)
		return len(seen) > 0
	}
	var res Result
	if cancelMidBuild(t, started, func(ctx context.Context) { res = b.Build(ctx, b.Trees()[0]) }) == 0 {
		t.Skip("the build finished before it could be cancelled")
	}
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	if filepath.Dir(seen[0]) != b.tmp {
		t.Errorf("go build worked in %s, want the plugin builder's %s", seen[0], b.tmp)
	}
	for _, d := range []string{b.tmp, work.GoTmp()} {
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("%s holds %d entries after a cancelled build", d, len(entries))
		}
	}
}
