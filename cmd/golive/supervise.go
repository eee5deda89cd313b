package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/mattn/go-isatty"

	"github.com/golive-dev/golive/log"
	"github.com/golive-dev/golive/runner"
)

// starter builds the runner's Starter from run.env, run.env_file and
// run.stdin.
func (s *session) starter(opts runner.RunOptions, stdin io.Reader) *runner.ProcessStarter {
	st := &runner.ProcessStarter{Opts: opts, Env: s.programEnv}
	if s.cfg.Run.Stdin {
		st.Stdin = runner.NewStdinMux(stdin)
	}
	return st
}

// programEnv is golive's environment, then the env file (read again on
// every start), then run.env: the more specific source wins.
func (s *session) programEnv() ([]string, error) {
	env := os.Environ()
	if f := s.cfg.Run.EnvFile; f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(s.startDir, f)
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
func (s *session) envFileRel() string {
	f := s.cfg.Run.EnvFile
	if f == "" {
		return ""
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(s.startDir, f)
	}
	rel, err := filepath.Rel(s.startDir, f)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.ToSlash(rel)
}

// manualRebuilds turns "r" and Enter on the terminal into rebuild
// requests, when golive owns its stdin (run.stdin is off) and stdin is a
// terminal. Reading the terminal from a background process group would
// stop golive with SIGTTIN, so it reads only while in the foreground.
func (s *session) manualRebuilds(ctx context.Context, stdin io.Reader, rebuild chan<- struct{}) {
	f, ok := stdin.(*os.File)
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
			if strings.TrimSpace(line) == "r" {
				s.log.Emit(log.Event{Type: log.Info, Message: "rebuild requested"})
				select {
				case rebuild <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
}
