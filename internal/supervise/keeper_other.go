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

// RunKeeper is never used off Linux.
func RunKeeper() int { return 2 }
