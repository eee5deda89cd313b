package builder

import (
	"context"
	"errors"
	"os"
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
	b, _ := newTestBuilder(t, dir)
	var res runner.BuildResult
	gopid := proctest.CancelMidBuildRetry(t, 5, nil, func(ctx context.Context) {
		// A fresh cache: the standard library is compiled, slow enough.
		b.opts.Env = append(os.Environ(), "GOCACHE="+t.TempDir())
		res = b.Build(ctx, nil)
	})
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("a cancelled build returned %+v", res)
	}
	proctest.CheckNoneLeft(t, gopid)
}
