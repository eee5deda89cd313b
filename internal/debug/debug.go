// Package debug runs the program under one headless delve server that
// the editor attaches to once: each new binary is restarted in place by
// delve (runner.InPlace), so the editor's session and its breakpoints
// survive every save. golive is a delve client of its own for that.
package debug

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/runner"
)

// Version is the delve golive is tested with; the install line names it.
const Version = "v1.27.2"

// ErrNoDelve says dlv is not installed, with the command that installs it.
var ErrNoDelve = errors.New("--debug needs delve: install it with go install github.com/go-delve/delve/cmd/dlv@" + Version)

// Find returns the dlv to run: on PATH, or in go's bin directory, where
// go install puts it.
func Find(gobin string) (string, error) {
	if p, err := exec.LookPath("dlv"); err == nil {
		return p, nil
	}
	if gobin != "" {
		p := filepath.Join(gobin, "dlv")
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoDelve
}

// dlvCommand is the delve command line that runs bin with the program's
// args, delve's API on listen.
func dlvCommand(dlv, listen, bin string, args []string) (string, []string) {
	a := []string{"exec", bin, "--headless", "--accept-multiclient", "--api-version=2",
		"--listen=" + listen, "--continue"}
	if len(args) > 0 {
		a = append(append(a, "--"), args...)
	}
	return dlv, a
}

// Starter starts the program under delve and connects to delve's API.
// The editor's address (Listen) is golive's own, in front of delve's
// (front.go), and stays the same when delve is started anew.
type Starter struct {
	runner.Starter // the supervisor's, with Under set to s.Under
	Dlv            string
	Listen         string
	Log            *events.Logger
	front          *front
	backend        string // the current delve's address
}

// Under is the delve command line for the supervisor's Starter.
func (s *Starter) Under(bin string, args []string) (string, []string) {
	return dlvCommand(s.Dlv, s.backend, bin, args)
}

// Close closes the editor's address and its connections.
func (s *Starter) Close() {
	if s.front != nil {
		s.front.Close()
	}
}

// Start starts delve on bin and returns once its API answers.
func (s *Starter) Start(bin string) (runner.Program, error) {
	if s.front == nil {
		f, err := listenFront(s.Listen)
		if err != nil {
			return nil, err
		}
		s.front = f
	}
	backend, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	s.backend = backend
	s.front.setBackend(backend)
	p, err := s.Starter.Start(bin)
	if err != nil {
		return nil, err
	}
	c, err := s.connect(p)
	if err != nil {
		p.Stop(nil)
		return nil, err
	}
	// Each delve: after a fallback the editor attaches again.
	s.Log.Emit(events.Event{Type: events.DebugReady, Address: s.front.ln.Addr().String(), PID: p.PID()})
	prog := &Program{Program: p, client: c, listen: s.front.ln.Addr().String(), bin: bin, front: s.front,
		done: make(chan struct{}), stop: make(chan struct{}), watched: make(chan struct{})}
	go prog.watch()
	return prog, nil
}

func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("delve's own address: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// connect waits for delve's API, as long as delve runs.
func (s *Starter) connect(p runner.Program) (*client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := dial(s.backend, time.Second)
		if err == nil {
			return c, nil
		}
		select {
		case <-p.Done():
			code, sig := p.Exit()
			return nil, fmt.Errorf("delve exited (code %d %s) before it listened on %s", code, sig, s.backend)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("delve did not listen on %s within 30s: %w", s.backend, err)
		}
	}
}

// Program is delve with its target: the supervisor's process (delve's
// tree) and golive's connection to it.
type Program struct {
	runner.Program
	client *client
	listen string // the editor's address
	bin    string // the path delve runs again on a restart
	front  *front

	mu        sync.Mutex
	done      chan struct{} // the target's end, or delve's; a new one after each restart
	code      int           // the target's exit status, once it ended and delve did not
	target    bool          // the target ended, not delve
	replacing sync.Mutex    // held by Replace: watch polls only when it can take it
	stop      chan struct{} // ends watch
	watched   chan struct{} // closed when watch is done
}

// How often golive asks delve whether the target still runs: delve
// outlives its target, so its process says nothing of the program's end.
const watchEvery = 250 * time.Millisecond

// watch closes done when the target exits (delve reports it) or delve
// does, until Stop.
func (p *Program) watch() {
	defer close(p.watched)
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.Program.Done():
			p.end(false, 0)
			return
		case <-t.C:
			if !p.replacing.TryLock() {
				continue
			}
			if code, ok := p.client.targetExit(); ok {
				p.end(true, code)
			}
			p.replacing.Unlock()
		}
	}
}

func (p *Program) end(target bool, code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return // already said
	default:
	}
	p.target, p.code = target, code
	close(p.done)
}

// Done is closed when the program ends: the target, or delve with it.
func (p *Program) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Exit is the target's exit status when it ended under a delve that
// stays, else delve's own.
func (p *Program) Exit() (int, string) {
	p.mu.Lock()
	target, code := p.target, p.code
	p.mu.Unlock()
	if target {
		return code, ""
	}
	return p.Program.Exit()
}

// Stop stops delve and its target, as any program.
func (p *Program) Stop(force <-chan struct{}) runner.StopResult {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.client.Close() // a poll in flight returns at once
	<-p.watched
	return p.Program.Stop(force)
}

// Replace has delve run the new binary in place: halt the target (it may
// be stopped at a breakpoint already), restart it, continue it.
func (p *Program) Replace(bin string) runner.ReplaceResult {
	start := time.Now()
	var res runner.ReplaceResult
	p.replacing.Lock()
	defer p.replacing.Unlock()
	if bin != p.bin { // delve runs its first path again, whatever golive built
		res.Err = fmt.Errorf("the new binary is %s, and delve restarts only %s", bin, p.bin)
		return res
	}
	sessions, err := p.front.pause(quickCall) // the editors' DAP sessions
	if err != nil {
		res.Err = err
		return res
	}
	st, err := p.client.state()
	switch {
	case exited(err): // a crash: delve stays, and restarts it all the same
	case err != nil:
		res.Err = err
		return res
	case st.Running:
		if err := p.client.halt(); err != nil {
			res.Err = err
			return res
		}
	case st.CurrentThread != nil && st.CurrentThread.Breakpoint != nil:
		res.Note = fmt.Sprintf("the program was stopped at a breakpoint (%s:%d); restarting it all the same", shortPath(st.CurrentThread.File), st.CurrentThread.Line)
	}
	gone, err := p.client.restart()
	if err != nil {
		res.Err = err
		return res
	}
	p.mu.Lock()
	select {
	case <-p.done: // the target that ended is replaced: a new one runs
		if p.target {
			p.done, p.target = make(chan struct{}), false
		}
	default:
	}
	p.mu.Unlock()
	if !p.front.resume(sessions, quickCall) {
		p.client.goOn()
	}
	for _, d := range gone {
		b := events.Breakpoint{Reason: d.Reason}
		if d.Breakpoint != nil {
			b.File, b.Line = shortPath(d.Breakpoint.File), d.Breakpoint.Line
		}
		res.Discarded = append(res.Discarded, b)
	}
	res.Duration = time.Since(start)
	return res
}

// exited reports delve's answer about a target that has exited.
func exited(err error) bool {
	return err != nil && strings.Contains(err.Error(), "has exited with status")
}

// shortPath is a path as diagnostics give it: relative to the working
// directory when it lies below it.
func shortPath(p string) string {
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return p
}
