package reload

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

// Supported returns why plugin builds cannot work with the go command run
// in dir with env, or nil: Go plugins need Linux, macOS or FreeBSD, cgo,
// and a C compiler. golive says it once and applies every change by
// restarting.
func Supported(ctx context.Context, dir string, env []string) error {
	_, err := Toolchain(ctx, dir, env)
	return err
}

// Compilers are the C and C++ compilers go build uses, as go env says
// them (a command and its arguments, space separated).
type Compilers struct {
	CC, CXX string
}

// Toolchain is Supported that also returns the compilers, which an
// external link runs.
func Toolchain(ctx context.Context, dir string, env []string) (Compilers, error) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd":
	default:
		return Compilers{}, fmt.Errorf("plugins work on Linux, macOS and FreeBSD only, not on %s", runtime.GOOS)
	}
	cmd := exec.CommandContext(ctx, "go", "env", "CGO_ENABLED", "CC", "CXX")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		return Compilers{}, fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") // CXX, last, may be empty
	if len(lines) < 3 {
		return Compilers{}, errors.New("go env: unexpected output")
	}
	if strings.TrimSpace(lines[0]) != "1" {
		return Compilers{}, errors.New("plugins need cgo, and CGO_ENABLED is 0 (set CGO_ENABLED=1 and install a C compiler)")
	}
	c := Compilers{CC: strings.TrimSpace(lines[1]), CXX: strings.TrimSpace(lines[2])}
	if cc := strings.Fields(c.CC); len(cc) == 0 {
		return Compilers{}, errors.New("plugins need a C compiler, and go env CC is empty")
	} else if _, err := exec.LookPath(cc[0]); err != nil {
		return Compilers{}, fmt.Errorf("plugins need a C compiler, and %s is not installed", cc[0])
	}
	return c, nil
}
