package supervise

import (
	"fmt"

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

	env []string // from Check, for the Start that follows it
}

// Check reads the next start's environment before the old program is
// stopped, so that an env file that does not parse leaves the old
// program running; the Start that follows uses what it read.
func (s *Starter) Check() error {
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
	return Start(bin, opts)
}
