//go:build !linux

package supervise

import (
	"errors"

	"github.com/golive-dev/golive/runner"
)

// keeperAvailable is false: only Linux has child subreapers, which the
// keeper needs to find every process of the tree.
const keeperAvailable = false

func startKept(string, Options) (runner.Program, error) {
	return nil, errors.New("keeper: not available on this OS")
}

// spare is never made off Linux: newSpare fails, and Starter starts each
// program as Start does.
type spare struct{}

func newSpare(Options) (*spare, error) { return nil, errors.New("keeper: not available on this OS") }

func (*spare) alive() bool { return false }
func (*spare) close()      {}

func (*spare) start(string, Options) (runner.Program, error) {
	return nil, errors.New("keeper: not available on this OS")
}

// RunKeeper is never used off Linux.
func RunKeeper() int { return 2 }
