package supervise

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golive-dev/golive/runner"
)

// Starter starts real processes for the loop (runner.Starter). Its
// methods are called from the loop's goroutine only.
type Starter struct {
	Opts Options
	// Env, when set, gives each start its environment (an env file is
	// read again on every restart); it replaces Opts.Env.
	Env func() ([]string, error)
	// Stdin, when set, forwards golive's stdin to each program.
	Stdin *StdinMux
	// BeforeStart, when set, runs before each start, once the previous
	// program and its output are done (JSON mode flushes its last line).
	BeforeStart func()
	// Under, when set, runs the program under another command (delve):
	// it gets the binary and the program's arguments and returns the
	// command to start and its arguments.
	Under func(bin string, args []string) (string, []string)

	env   []string // from Check, for the Start that follows it
	spare *spare   // a keeper started ahead (Prepare), for the next Start
	// keepers are the exits of the keepers of the programs it started:
	// a stop returns before its keeper is gone, and Close waits for them.
	keepers []<-chan struct{}
}

// exitWaiter is a program whose keeper may outlive its Stop by a moment.
type exitWaiter interface{ keeperExited() <-chan struct{} }

// keeperWait bounds how long Close waits for the keepers: each exits
// right after it said its tree is gone.
const keeperWait = 2 * time.Second

// Prepare starts the next program's keeper ahead, where there is one,
// so that its start-up overlaps the build or the old program's stop
// rather than following them. A program that reads golive's stdin gets a
// keeper at its start: its stdin is known only then.
func (s *Starter) Prepare() {
	if s.spare != nil || s.Stdin != nil || !keeperAvailable || s.Opts.Direct {
		return
	}
	if sp, err := newSpare(s.Opts); err == nil {
		s.spare = sp
	} // else the start makes its own keeper, and reports what fails
}

// Close ends a keeper started ahead that no start took, and waits for
// the keepers of the programs it started, which were stopped, to exit.
func (s *Starter) Close() {
	if s.spare != nil {
		s.spare.close()
		s.spare = nil
	}
	bound := time.After(keeperWait)
	for _, done := range s.keepers {
		select {
		case <-done:
		case <-bound:
			return
		}
	}
	s.keepers = nil
}

// track keeps p's keeper for Close, dropping those already gone.
func (s *Starter) track(p runner.Program) {
	s.keepers = slices.DeleteFunc(s.keepers, func(done <-chan struct{}) bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	if w, ok := p.(exitWaiter); ok {
		s.keepers = append(s.keepers, w.keeperExited())
	}
}

// Check reads the next start's environment before the old program is
// stopped, so that an env file that does not parse leaves the old
// program running; the Start that follows uses what it read.
func (s *Starter) Check() error {
	s.Prepare()
	if s.Env == nil {
		return nil
	}
	env, err := s.Env()
	s.env = env
	return err
}

// Start starts bin with the environment Check read.
func (s *Starter) Start(bin string) (runner.Program, error) {
	if s.BeforeStart != nil {
		s.BeforeStart()
	}
	opts := s.Opts
	if s.Env != nil {
		env := s.env
		if env == nil {
			var err error
			if env, err = s.Env(); err != nil {
				return nil, err
			}
		}
		s.env = nil
		opts.Env = env
	}
	if s.Stdin != nil {
		r, err := s.Stdin.Next()
		if err != nil {
			return nil, fmt.Errorf("stdin for the program: %w", err)
		}
		defer r.Close() // the program holds its own copy
		opts.Stdin = r
	}
	if s.Under != nil {
		bin, opts.Args = s.Under(bin, opts.Args)
	}
	if sp := s.spare; sp != nil {
		s.spare = nil
		if sp.alive() {
			p, err := sp.start(bin, opts)
			if !errors.Is(err, errKeeperGone) {
				if err == nil {
					s.track(p)
				}
				return p, err
			} // it died since: a new one starts it
		} else {
			sp.close()
		}
	}
	p, err := Start(bin, opts)
	if err == nil {
		s.track(p)
	}
	return p, err
}
