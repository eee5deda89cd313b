package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
)

// ChangedVar is the environment variable that hands a command the paths
// it runs for, one a line.
const ChangedVar = "GOLIVE_CHANGED"

// Command is one command to run for a batch or a build.
type Command struct {
	Name    string // as messages name it
	Argv    []string
	Dir     string
	Env     []string
	Changed []string // slash paths relative to Dir: ChangedVar
	Timeout time.Duration
}

// Failed is a command that could not start, exited with a non-zero
// status, or ran past its timeout. Output is what it printed.
type Failed struct {
	Name   string
	Err    error
	Output string
}

func (f *Failed) Error() string { return fmt.Sprintf("%s failed: %v", f.Name, f.Err) }

// Run runs c in a process group of its own, with its output captured,
// and kills the whole group when ctx ends or the timeout passes. It
// returns what the command printed, and a *Failed when it failed, or
// ctx's error when ctx ended first.
func Run(ctx context.Context, c Command) (string, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(slices.Clip(c.Env), ChangedVar+"="+strings.Join(c.Changed, "\n"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A child it left behind that holds the output open (a server the
	// command started) must not keep golive waiting.
	cmd.WaitDelay = 2 * time.Second
	err := procgroup.Run(ctx, cmd)
	switch {
	case err == nil:
		return out.String(), nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("timed out after %s", c.Timeout)
	case ctx.Err() != nil:
		return out.String(), ctx.Err()
	}
	return out.String(), &Failed{Name: c.Name, Err: err, Output: out.String()}
}
