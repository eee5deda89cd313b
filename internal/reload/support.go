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
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd":
	default:
		return fmt.Errorf("plugins work on Linux, macOS and FreeBSD only, not on %s", runtime.GOOS)
	}
	cmd := exec.CommandContext(ctx, "go", "env", "CGO_ENABLED", "CC")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return errors.New("go env: unexpected output")
	}
	if strings.TrimSpace(lines[0]) != "1" {
		return errors.New("plugins need cgo, and CGO_ENABLED is 0 (set CGO_ENABLED=1 and install a C compiler)")
	}
	if cc := strings.Fields(lines[1]); len(cc) == 0 {
		return errors.New("plugins need a C compiler, and go env CC is empty")
	} else if _, err := exec.LookPath(cc[0]); err != nil {
		return fmt.Errorf("plugins need a C compiler, and %s is not installed", cc[0])
	}
	return nil
}
