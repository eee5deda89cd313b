package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/mattn/go-isatty"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/rules"
	"github.com/golive-dev/golive/internal/signals"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/runner"
)

// runOptions says how to start and stop the program.
func (s *Session) runOptions() (supervise.Options, error) {
	sig, err := signals.Parse(s.cfg.Run.StopSignal)
	if err != nil {
		return supervise.Options{}, fmt.Errorf("run.stop_signal: %w", err)
	}
	stdout, stderr := s.opts.Stdout, s.opts.Stderr
	if s.opts.Service != "" {
		// One service of several: its lines carry its name.
		stdout = events.NewServiceWriter(s.opts.Log, "stdout", s.opts.Service)
		stderr = events.NewServiceWriter(s.opts.Log, "stderr", s.opts.Service)
	} else if s.cfg.Log.Format == "json" {
		// Every line on golive's stderr must be a JSON object, so the
		// program's stderr lines are wrapped as output events. Its stdout
		// stays untouched.
		stderr = events.NewLineWriter(s.opts.Log, "stderr")
	}
	return supervise.Options{
		Dir:         s.opts.Dir,
		Args:        s.cfg.Run.Args,
		Env:         withEnv(os.Environ(), s.cfg.Run.Env),
		Stdout:      stdout,
		Stderr:      stderr,
		StopSignal:  sig,
		StopTimeout: time.Duration(s.cfg.Run.StopTimeout),
	}, nil
}

// starter builds the loop's Starter from run.env, run.env_file,
// run.stdin and run.before_start, whose commands end with ctx, after the
// services this one waits for (Options.Gate).
func (s *Session) starter(ctx context.Context, opts supervise.Options, eng *rules.Engine) *supervise.Starter {
	// Env is read before each start, while the old program still runs:
	// a step that fails there keeps it running.
	st := &supervise.Starter{Opts: opts, Env: func() ([]string, error) {
		if s.opts.Gate != nil {
			if err := s.opts.Gate(ctx); err != nil {
				return nil, err
			}
		}
		env, err := s.programEnv()
		if err != nil {
			return nil, err
		}
		if before := s.cfg.Run.BeforeStart; len(before) > 0 {
			if _, err := eng.Commands(ctx, "run.before_start", before, nil, env, config.ShellArgv); err != nil {
				return nil, errors.New(failureOutput(err))
			}
		}
		return env, nil
	}}
	if s.cfg.Run.Stdin {
		st.Stdin = supervise.NewStdinMux(s.opts.Stdin)
	}
	return st
}

// programEnv is golive's environment, then the env file (read again on
// every start), then run.env: the more specific source wins.
func (s *Session) programEnv() ([]string, error) {
	env := os.Environ()
	if f := s.cfg.Run.EnvFile; f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(s.opts.Dir, f)
		}
		vars, err := godotenv.Read(f)
		if err != nil {
			return nil, fmt.Errorf("run.env_file: %w", err)
		}
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			env = append(env, k+"="+vars[k])
		}
	}
	return append(withEnv(env, s.cfg.Run.Env), s.extraEnv...), nil
}

// envFileRel is run.env_file as the watcher names it, or "".
func (s *Session) envFileRel() string {
	f := s.cfg.Run.EnvFile
	if f == "" {
		return ""
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(s.opts.Dir, f)
	}
	rel, err := filepath.Rel(s.opts.Dir, f)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.ToSlash(rel)
}

// manualRebuilds turns "r" and Enter on the terminal into rebuild
// requests, when golive owns its stdin (run.stdin is off) and stdin is a
// terminal. Reading the terminal from a background process group would
// stop golive with SIGTTIN, so it reads only while in the foreground.
func (s *Session) manualRebuilds(ctx context.Context, requests chan<- runner.Request) {
	s.readCommands(ctx, func(line string) {
		if line != "r" {
			return
		}
		select {
		case requests <- runner.Request{Why: "rebuild requested"}:
		case <-ctx.Done():
		}
	})
}

// serviceCommands is manualRebuilds for several services: "r" asks
// rebuild with "" (all of them), "r NAME" with the service's name.
func (s *Session) serviceCommands(ctx context.Context, rebuild func(name string)) {
	s.readCommands(ctx, func(line string) {
		if name, ok := rebuildCommand(line); ok {
			rebuild(name)
		}
	})
}

// rebuildCommand reads a line typed on the terminal: "r" asks for all
// services ("" ), "r NAME" for one.
func rebuildCommand(line string) (string, bool) {
	name, ok := strings.CutPrefix(strings.TrimSpace(line), "r")
	if !ok || (name != "" && name[0] != ' ' && name[0] != '\t') {
		return "", false
	}
	return strings.TrimSpace(name), true
}

// readCommands hands each line typed on golive's terminal, trimmed, to
// onLine, on a goroutine of its own that ends with ctx.
func (s *Session) readCommands(ctx context.Context, onLine func(line string)) {
	f, ok := s.opts.Stdin.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return
	}
	// Whoever reads the terminal (this reader, or run.stdin's forwarder)
	// gets EIO in the background instead of golive being stopped.
	ignoreTTIN()
	if s.cfg.Run.Stdin {
		return
	}
	// The terminal is read through a file description of golive's own,
	// which Go puts in non-blocking mode and waits on in its poller. The
	// kernel checks the foreground only when a read begins: a blocking
	// read already waiting when another job of the session takes the
	// terminal would take that job's next line, while a read from the
	// poller begins anew at every line typed (EIO in the background).
	// Closing it also ends the reader with golive. Where the poller cannot
	// take it (kqueue refuses /dev/tty on macOS), it stays blocking, like
	// stdin; Windows has no background jobs and reads stdin as it is.
	tty := f
	if runtime.GOOS != "windows" {
		if own, err := os.Open("/dev/tty"); err == nil {
			tty = own
			context.AfterFunc(ctx, func() { own.Close() })
		}
	}
	go func() {
		r := bufio.NewReader(tty)
		for {
			if !foreground(f) {
				select {
				case <-ctx.Done():
					return
				case <-time.After(500 * time.Millisecond):
					continue
				}
			}
			line, err := r.ReadString('\n')
			if err != nil && !isEIO(err) {
				return
			}
			if line = strings.TrimSpace(line); line != "" {
				onLine(line)
			}
		}
	}()
}
