package runner

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// RunOptions say how to start and stop the program.
type RunOptions struct {
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
	cmd     *exec.Cmd
	opts    RunOptions
	done    chan struct{}
	release func()
}

// StartProcess starts bin (no shell) in its own process group. On Linux
// a keeper process stands between golive and the program, so that the
// whole tree dies even when golive is SIGKILLed (keeper_linux.go).
func StartProcess(bin string, opts RunOptions) (Program, error) {
	if keeperAvailable && !opts.Direct {
		return startKept(bin, opts)
	}
	return startDirect(bin, opts)
}

// startDirect starts bin as golive's own child.
func startDirect(bin string, opts RunOptions) (*Process, error) {
	cmd := exec.Command(bin, opts.Args...)
	cmd.Dir = opts.Dir
	cmd.Env = opts.Env
	cmd.Stdin = opts.Stdin
	cmd.Stdout = opts.Stdout
	cmd.Stderr = opts.Stderr
	// When output goes through a pipe, a grandchild that outlives the
	// program would keep Wait copying forever; bound it.
	cmd.WaitDelay = time.Second
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	release, err := afterStart(cmd.Process)
	if err != nil {
		killGroup(cmd.Process)
		cmd.Wait()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, opts: opts, done: make(chan struct{}), release: release}
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
	if sig := exitSignal(st); sig != "" {
		return -1, sig
	}
	return st.ExitCode(), ""
}

// StopResult says how a stop went.
type StopResult struct {
	Duration time.Duration
	Killed   bool   // the group had to be SIGKILLed
	Reason   string // why, when Killed
}

// Stop sends the stop signal to the whole group, waits up to the stop
// timeout for the program and every process of its group to be gone, then
// SIGKILLs the group and waits for that. A close of force skips the wait
// (a second Ctrl-C). Stop returns only when nothing of the group is left,
// so the next program finds its port free.
func (p *Process) Stop(force <-chan struct{}) StopResult {
	opts := p.opts
	start := time.Now()
	defer p.release()
	signalGroup(p.cmd.Process, opts.StopSignal)
	timer := time.NewTimer(opts.StopTimeout)
	defer timer.Stop()
	late := fmt.Sprintf("did not stop within %s", opts.StopTimeout)
	reason := ""
	select {
	case <-p.done:
		// The leader is gone; the rest of its group gets what is left of
		// the timeout.
		left := opts.StopTimeout - time.Since(start)
		if !waitGroupGone(p.cmd.Process, max(left, 0)) {
			reason = late
		}
	case <-timer.C:
		reason = late
	case <-force:
		reason = "stopped at once on request"
	}
	killed := reason != ""
	if killed {
		killGroup(p.cmd.Process)
		<-p.done
		waitGroupGone(p.cmd.Process, opts.StopTimeout)
	}
	return StopResult{Duration: time.Since(start), Killed: killed, Reason: reason}
}

// waitGroupGone polls until the program's group is empty or d passes.
// Polling is fine here: it runs only while a stop is in progress.
func waitGroupGone(p *os.Process, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !groupGone(p) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
