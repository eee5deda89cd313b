package session

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/golive-dev/golive/internal/resident"
)

// freeAfterBuilds hands the memory a build's bookkeeping took (go build's
// output, a replay's snapshot, go list's answer) back to the OS shortly
// after the last build or embedded-files refresh, so that golive idles at
// its smallest. It runs once golive has been quiet for freeDelay, never
// while nothing happens.
func freeAfterBuilds(ctx context.Context, built <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-built:
			t.Reset(freeDelay)
		case <-t.C:
			debug.FreeOSMemory()
			resident.DropCode()
		}
	}
}

// freeDelay is the quiet after a build before its memory is handed back:
// short enough that an idle golive is done with it within half a second
// of its last build. A build and its refresh that end within it pay it
// once; builds take longer than that, so successive saves pay it (a
// forced GC of golive's small heap) after each build.
const freeDelay = 250 * time.Millisecond
