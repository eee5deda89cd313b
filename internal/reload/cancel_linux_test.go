package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/proctest"
)

// slowPlugin is a plugin tree whose build, with an empty GOCACHE, runs
// long enough to be cancelled halfway.
var slowPlugin = map[string]string{
	"go.mod":       "module example.com/app\n\ngo 1.26\n",
	"greeter/g.go": "package greeter\n\nimport _ \"net/http\"\n\nfunc Greet() string { return \"hi\" }\n",
}

// A cancelled plugin build leaves no zombie behind: the compile and link
// processes that the killed go command leaves to golive are reaped.
func TestCancelledBuildLeavesNoZombies(t *testing.T) {
	if !proctest.Alone(t, procgroup.BecomeSubreaper) {
		return
	}
	if err := Supported(context.Background(), ".", os.Environ()); err != nil {
		t.Skip(err)
	}
	var res Result
	gopid := proctest.CancelMidBuildRetry(t, 5, nil, func(ctx context.Context) {
		env := append(os.Environ(), "GOCACHE="+t.TempDir(), "GOPROXY=off") // a cold cache: slow enough
		b, tree := newTestBuilder(t, slowPlugin, builder.Options{Env: env})
		res = b.Build(ctx, tree)
	})
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	proctest.CheckNoneLeft(t, gopid)
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
	work, err := builder.NewWorkDir(dir, "app")
	if err != nil {
		t.Fatal(err)
	}
	defer work.Remove()
	b, err := NewBuilder(Options{Build: builder.Options{Dir: dir, Work: work}, Packages: []string{"./greeter"}})
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
	proctest.CancelMidBuildRetry(t, 5, started, func(ctx context.Context) {
		b.opts.Build.Env = append(os.Environ(), "GOCACHE="+t.TempDir(), "GOPROXY=off") // a cold cache: slow enough
		res = b.Build(ctx, b.Trees()[0])
	})
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
