// Package side runs the processes that run beside the program, the
// [[process]] blocks: each is started with golive, supervised as the
// program is (its own process group, the keeper on Linux, the stop
// signal, then a kill), started again when it exits by its restart
// policy with a back-off, restarted on request (a change of its watch
// globs), and stopped when golive stops. It is never built. One
// goroutine owns each process; Run owns them all.
package side

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/runner"
)

// Spec is one process to run.
type Spec struct {
	Name    string
	Argv    []string
	Restart runner.RestartPolicy
	Ready   runner.Readiness // nil: no check
	Opts    supervise.Options
}

// Set runs a set of processes.
type Set struct {
	log     *events.Logger
	specs   []Spec
	force   <-chan struct{}
	restart map[string]chan struct{}
}

// New returns a Set of specs that logs to log; a close of force makes a
// stop in progress kill at once (a second Ctrl-C).
func New(log *events.Logger, specs []Spec, force <-chan struct{}) *Set {
	s := &Set{log: log, specs: specs, force: force, restart: map[string]chan struct{}{}}
	for _, sp := range specs {
		s.restart[sp.Name] = make(chan struct{}, 1)
	}
	return s
}

// Run starts every process, in order, and keeps them running until ctx
// is done; it returns once every one of them is stopped with its tree.
func (s *Set) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, sp := range s.specs {
		// Started here, one after the other, in their order; kept each by
		// a goroutine of its own from then on.
		p, err := s.start(sp)
		wg.Go(func() { s.keep(ctx, sp, s.restart[sp.Name], p, err) })
	}
	wg.Wait()
}

// Restart asks for a restart of the process name; it does not wait.
func (s *Set) Restart(name string) {
	select {
	case s.restart[name] <- struct{}{}:
	default: // one is asked for already
	}
}

// keep runs one process until ctx is done, from its first start (p, or
// the error that start gave): watched for its exit, its readiness
// reported, started again by its policy or on request.
func (s *Set) keep(ctx context.Context, sp Spec, restart <-chan struct{}, p runner.Program, err error) {
	var backoff runner.Backoff
	if ctx.Err() != nil && p != nil {
		s.stop(sp, p) // golive stopped while the others started
		return
	}
	for first := true; ctx.Err() == nil; first = false {
		started := time.Now()
		if !first {
			p, err = s.start(sp)
		}
		if err != nil {
			s.log.Errorf("process %s: %v; it starts again with a change of its watch globs", sp.Name, err)
			if !s.wait(ctx, restart, 0) {
				return
			}
			continue
		}
		stopReady := s.watchReady(ctx, sp, p)
		select {
		case <-ctx.Done():
			stopReady()
			s.stop(sp, p)
			return
		case <-restart:
			stopReady()
			s.stop(sp, p)
			backoff = runner.Backoff{}
			continue
		case <-p.Done():
			stopReady()
		}
		code, sig := p.Exit()
		ev := events.Event{Type: events.Exit, PID: p.PID(), Signal: sig, Service: sp.Name}
		if sig == "" {
			ev.Code = events.Int(code)
		}
		s.log.Emit(ev)
		p.Stop(s.force) // what its group left behind
		if !sp.Restart.Wants(code, sig) {
			if !s.wait(ctx, restart, 0) {
				return
			}
			continue
		}
		d := backoff.Delay(time.Since(started))
		s.log.Infof("process %s: restarting in %s after %s (restart = %q)", sp.Name, d, runner.ExitWords(code, sig), sp.Restart)
		if !s.wait(ctx, restart, d) {
			return
		}
	}
}

// wait waits d (0: until a restart is asked for) or a restart request,
// and reports false when ctx ended first.
func (s *Set) wait(ctx context.Context, restart <-chan struct{}, d time.Duration) bool {
	var after <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		after = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-restart:
	case <-after:
	}
	return true
}

func (s *Set) start(sp Spec) (runner.Program, error) {
	bin, err := lookPath(sp.Argv[0], sp.Opts.Dir)
	if err != nil {
		return nil, err
	}
	opts := sp.Opts
	opts.Args = sp.Argv[1:]
	p, err := supervise.Start(bin, opts)
	if err != nil {
		return nil, err
	}
	s.log.Emit(events.Event{Type: events.Start, PID: p.PID(), Service: sp.Name})
	return p, nil
}

func (s *Set) stop(sp Spec, p runner.Program) {
	res := p.Stop(s.force)
	s.log.Emit(events.Event{Type: events.Stop, PID: p.PID(), Duration: res.Duration, Killed: res.Killed, Message: res.Reason, Service: sp.Name})
}

// watchReady reports when the process passes its readiness check, in a
// goroutine that the returned function stops.
func (s *Set) watchReady(ctx context.Context, sp Spec, p runner.Program) func() {
	if sp.Ready == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	started := time.Now()
	go func() {
		defer close(done)
		if err := sp.Ready.Wait(ctx); err == nil {
			s.log.Emit(events.Event{Type: events.Ready, PID: p.PID(), Duration: time.Since(started), Service: sp.Name})
		} else if ctx.Err() == nil {
			s.log.Warnf("process %s: ready: %v; no longer checking", sp.Name, err)
		}
	}()
	return func() { cancel(); <-done }
}

// lookPath finds a process's command: a path with a slash is taken from
// the process's directory, a bare name from PATH.
func lookPath(name, dir string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("command %s: %w", name, err)
		}
		return name, nil
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("command %q not found on PATH", name)
	}
	return path, nil
}
