package builder

import (
	"context"
	"errors"
	"testing"

	"github.com/golive-dev/golive/internal/proctest"
	"github.com/golive-dev/golive/runner"
)

// A cancelled build leaves no zombie behind: the compile and link
// processes that the killed go command leaves to golive are reaped.
// (TestMain made the test process a child subreaper, as golive is.)
func TestBuildCancelLeavesNoZombies(t *testing.T) {
	if !proctest.Alone(t, nil) {
		return
	}
	dir := fixture(t, "package main\n\nimport _ \"net/http\"\n\nfunc main() {}\n")
	t.Setenv("GOCACHE", t.TempDir()) // the standard library is compiled: slow enough
	b, _ := newTestBuilder(t, dir)
	var res runner.BuildResult
	gopid := proctest.CancelMidBuild(nil, func(ctx context.Context) { res = b.Build(ctx, nil) })
	if gopid == 0 {
		t.Skip("the build finished before it had children to kill")
	}
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	proctest.CheckNoneLeft(t, gopid)
}
