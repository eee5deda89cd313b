package builder

import (
	"os"
	"testing"

	"github.com/golive-dev/golive/internal/procgroup"
)

// TestMain makes the test process a child subreaper, as golive is, so
// that what a killed go build leaves behind comes back to it to reap.
func TestMain(m *testing.M) {
	procgroup.BecomeSubreaper()
	os.Exit(m.Run())
}
