// Package supervise starts the program and stops it with everything it
// started: its own process group, the stop signal, the stop timeout,
// then a kill, and a return only once nothing of the tree is left. On
// Linux a keeper process stands between golive and the program
// (keeper_linux.go), so that the tree dies even when golive is killed.
// It also carries golive's stdin over from one program to the next
// (stdin.go).
package supervise

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/signals"
	"github.com/golive-dev/golive/runner"
)

// Options say how to start and stop the program.
type Options struct {
	Dir         string   // working directory: where golive started
	Args        []string // the program's arguments
	Env         []string // the program's whole environment
	Stdin       io.Reader
	Stdout      io.Writer // an *os.File is handed over as is, so the program sees the terminal
	Stderr      io.Writer
	StopSignal  os.Signal
	StopTimeout time.Duration
	// Direct starts the program as golive's own child even where a keeper
	// is available (tests of the direct path use it).
	Direct bool
}

// Process is one run of the program and, through its process group, all
// that it started. Its exit is watched by one goroutine that ends when the
// program does.
type Process struct {
	cmd   *exec.Cmd
	opts  Options
	done  chan struct{}
	group *procgroup.Group
}

// Start starts bin (no shell) in its own process group. On Linux a keeper
// process stands between golive and the program, so that the whole tree
// dies even when golive is SIGKILLed (keeper_linux.go).
func Start(bin string, opts Options) (runner.Program, error) {
	if keeperAvailable && !opts.Direct {
		return startKept(bin, opts)
	}
	return startDirect(bin, opts)
}

// startDirect starts bin as golive's own child.
func startDirect(bin string, opts Options) (*Process, error) {
	cmd := exec.Command(bin, opts.Args...)
	cmd.Dir = opts.Dir
	cmd.Env = opts.Env
	cmd.Stdin = opts.Stdin
	cmd.Stdout = opts.Stdout
	cmd.Stderr = opts.Stderr
	// When output goes through a pipe, a grandchild that outlives the
	// program would keep Wait copying forever; bound it.
	cmd.WaitDelay = time.Second
	g, err := procgroup.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, opts: opts, done: make(chan struct{}), group: g}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the program's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the program has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit returns the exit code, or the signal that killed the program. Call
// it only after Done is closed.
func (p *Process) Exit() (code int, signal string) {
	st := p.cmd.ProcessState
	if sig := signals.Exit(st); sig != "" {
		return -1, sig
	}
	return st.ExitCode(), ""
}

// Stop sends the stop signal to the whole group, waits up to the stop
// timeout for the program and every process of its group to be gone, then
// SIGKILLs the group and waits for that. A close of force skips the wait
// (a second Ctrl-C). Stop returns only when nothing of the group is left,
// so the next program finds its port free.
func (p *Process) Stop(force <-chan struct{}) runner.StopResult {
	opts := p.opts
	start := time.Now()
	defer p.group.Release()
	p.group.Signal(opts.StopSignal)
	timer := time.NewTimer(opts.StopTimeout)
	defer timer.Stop()
	late := fmt.Sprintf("did not stop within %s", opts.StopTimeout)
	reason := ""
	select {
	case <-p.done:
		// The leader is gone; the rest of its group gets what is left of
		// the timeout.
		left := opts.StopTimeout - time.Since(start)
		if !p.group.WaitGone(max(left, 0)) {
			reason = late
		}
	case <-timer.C:
		reason = late
	case <-force:
		reason = "stopped at once on request"
	}
	killed := reason != ""
	if killed {
		p.group.Kill()
		<-p.done
		p.group.WaitGone(opts.StopTimeout)
	}
	return runner.StopResult{Duration: time.Since(start), Killed: killed, Reason: reason}
}
