package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golive-dev/golive/log"
	"github.com/golive-dev/golive/project"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// watch is golive's main job: build, run, watch, rebuild, restart, until
// Ctrl-C or SIGTERM. It returns only once nothing of the program is left.
func watch(s *session, stdin io.Reader, stdout, stderr io.Writer) int {
	work, err := runner.NewWorkDir(s.startDir, s.binaryName())
	if err != nil {
		return reportUsage(stderr, err)
	}
	defer work.Remove()
	runOpts, err := s.runOptions(stdout, stderr)
	if err != nil {
		return reportUsage(stderr, err)
	}
	if err := runner.BecomeSubreaper(); err != nil {
		s.log.Warnf("cannot become a child subreaper (%v); orphans of go build are left to init", err)
	}
	embeds := &embedSet{}
	envFile := s.envFileRel()
	ready, err := runner.ParseReadiness(s.cfg.Run.Ready)
	if err != nil {
		return reportUsage(stderr, err)
	}
	// Nothing golive writes is a change of the tree, should its cache lie
	// in it: this session's work directory, the project's recipe store
	// (go build's $WORK), other sessions' work directories.
	golives := filepath.Dir(work.Dir())
	wopts := watcher.Options{
		Root:     s.startDir,
		Include:  s.cfg.Watch.Include,
		Exclude:  s.cfg.Watch.Exclude,
		Ignore:   []string{golives},
		Debounce: time.Duration(s.cfg.Watch.Debounce),
		Extra:    func(rel string) bool { return rel == envFile || embeds.has(rel) },
		Warn:     func(err error) { s.log.Warnf("%v", err) },
	}
	if err := watcher.Check(wopts); err != nil {
		return reportUsage(stderr, err)
	}

	// Before the signals are golive's: a Ctrl-C during a walk that comes
	// first still stops golive at once.
	walk := startWalk(wopts, work.Dir())
	if !walk.beside {
		if err := walk.wait(); err != nil {
			return reportUsage(stderr, err)
		}
	}

	ctx, force, stopSignals := interrupts()
	defer stopSignals()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan watcher.Batch)
	watchErr := make(chan error, 1)
	wg.Go(func() {
		if err := walk.run(ctx, batches); err != nil {
			watchErr <- err
			cancel()
		}
	})
	rebuild := make(chan struct{})
	defer notifyRebuild(rebuild)()
	s.manualRebuilds(ctx, stdin, rebuild)
	refresh := make(chan struct{}, 1)
	built := make(chan struct{}, 1)
	wg.Go(func() { embeds.refresh(ctx, s, refresh, built, rebuild) })
	wg.Go(func() { freeAfterBuilds(ctx, built) })

	reload, err := s.setUpPlugins(ctx, work)
	if err != nil {
		s.log.Errorf("%v", err)
		return exitUsage
	}
	var reloaderOpt runner.Reloader
	if reload != nil {
		defer reload.close()
		reloaderOpt = reload
	}
	starter := s.starter(runOpts, stdin)
	if starter.Stdin != nil {
		defer starter.Stdin.Close()
	}
	if lw, ok := runOpts.Stderr.(*log.LineWriter); ok {
		// A last line without a newline belongs to the program that wrote
		// it: flushed before the next one starts, and when golive is done.
		starter.BeforeStart = lw.Flush
		defer lw.Flush()
	}
	buildOpts := s.buildOptions(work)
	buildOpts.KeepRecipe = true // the next session's first build can then be a replay
	builder := runner.NewGoBuilder(buildOpts)
	defer builder.Close()
	r := runner.New(runner.Options{
		Builder:     &walkGate{b: builder, walk: walk, log: s.log},
		Starter:     starter,
		Log:         s.log,
		Package:     s.pkg,
		Force:       force,
		Rebuild:     rebuild,
		Ready:       ready,
		Restart:     runner.RestartPolicy(s.cfg.Run.Restart),
		RestartOnly: func(rel string) bool { return rel != "" && rel == envFile },
		Reloader:    reloaderOpt,
		MaxReloads:  s.cfg.Plugins.MaxReloads,
		Built: func(changed []string, started time.Time) {
			embeds.built(started)
			select {
			case built <- struct{}{}:
			default:
			}
			// Decided here, so that a refresh already pending, which will
			// read the set anew, makes dropping this request harmless.
			if changed != nil && !mayEmbed(s.startDir, changed) {
				return
			}
			select {
			case refresh <- struct{}{}:
			default: // a refresh is already pending
			}
		},
	})
	r.Run(ctx, batches)
	cancel()
	wg.Wait()
	select {
	case err := <-watchErr:
		s.log.Errorf("%v", err)
		return exitUsage
	default:
		return exitOK
	}
}

// interrupts turns the first SIGINT, SIGTERM or SIGHUP into a cancelled context
// and the second into a closed force channel: stop now, kill if need be.
func interrupts() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	// SIGHUP too: a closed terminal or ssh session is a stop, not a kill
	// that skips the program's stop signal and golive's clean-up.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				if n == 1 {
					cancel()
				} else if n == 2 {
					close(force)
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, force, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func (s *session) runOptions(stdout, stderr io.Writer) (runner.RunOptions, error) {
	sig, err := runner.ParseSignal(s.cfg.Run.StopSignal)
	if err != nil {
		return runner.RunOptions{}, err
	}
	if s.cfg.Log.Format == "json" {
		// Every line on golive's stderr must be a JSON object, so the
		// program's stderr lines are wrapped as output events. Its stdout
		// stays untouched.
		stderr = log.NewLineWriter(s.log, "stderr")
	}
	return runner.RunOptions{
		Dir:         s.startDir,
		Args:        s.cfg.Run.Args,
		Env:         withEnv(os.Environ(), s.cfg.Run.Env),
		Stdout:      stdout,
		Stderr:      stderr,
		StopSignal:  sig,
		StopTimeout: time.Duration(s.cfg.Run.StopTimeout),
	}, nil
}

// embedSet is the set of files the program embeds, so that an edit to
// one rebuilds. It is read by the watcher's goroutine and replaced by the
// refresh goroutine.
type embedSet struct {
	mu    sync.RWMutex
	files map[string]bool
	dirs  []string  // embedded directories, with a trailing "/"
	since time.Time // when the build of the running program started
}

// built records the start of the build whose program now runs.
func (e *embedSet) built(started time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.since = started
}

func (e *embedSet) has(rel string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.files[rel] {
		return true
	}
	for _, dir := range e.dirs {
		if strings.HasPrefix(rel, dir) {
			return true
		}
	}
	return false
}

// refresh asks go list for the embedded files on request: after the
// first successful build, and after a build whose changes could have
// changed the set (a .go file that holds a //go:embed line, or one that
// is gone). It runs beside the program, never on the save-to-restart
// path.
//
// A file it learns only now was not watched while the program was built:
// if it changed after that build began, the program may embed it as it
// was, and no event will say so. Then it asks for a rebuild.
func (e *embedSet) refresh(ctx context.Context, s *session, requests <-chan struct{}, done, rebuild chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-requests:
			files, err := project.EmbedFiles(ctx, s.startDir, s.pkg, s.cfg.Build.Tags, os.Environ())
			select {
			case done <- struct{}{}: // go list's output is garbage now, too
			default:
			}
			if err != nil {
				continue // a broken tree; the next good build tries again
			}
			set := make(map[string]bool, len(files))
			var dirs []string
			for _, f := range files {
				if strings.HasSuffix(f, "/") {
					dirs = append(dirs, f)
				} else {
					set[f] = true
				}
			}
			e.mu.Lock()
			news := len(set) != len(e.files) || len(dirs) != len(e.dirs)
			var learned []string
			for f := range set {
				if !e.files[f] {
					learned = append(learned, f)
				}
			}
			e.files, e.dirs = set, dirs
			since := e.since
			e.mu.Unlock()
			if news {
				s.log.Infof("watching %d embedded %s", len(set), plural(len(set), "file"))
			}
			if f := changedDuring(s.startDir, learned, since); f != "" {
				s.log.Infof("%s changed while the program was built; building again", f)
				select {
				case rebuild <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// changedDuring returns one of files (slash paths under root) that
// changed at or after since, by modification or change time, allowing
// for file times that lag the clock.
func changedDuring(root string, files []string, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	for _, f := range files {
		if watcher.ChangedSince(filepath.Join(root, filepath.FromSlash(f)), since.Add(-fileClockSlack)) {
			return f
		}
	}
	return ""
}

func mayEmbed(root string, changed []string) bool {
	for _, p := range changed {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || bytes.Contains(data, []byte("//go:embed")) {
			return true
		}
	}
	return false
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// freeAfterBuilds hands the memory a build's bookkeeping took (go build's
// output, a replay's snapshot, go list's answer) back to the OS shortly
// after the last build or embedded-files refresh, so that golive idles at
// its smallest. It runs once per burst, never while nothing happens.
func freeAfterBuilds(ctx context.Context, built <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-built:
			t.Reset(freeDelay)
		case <-t.C:
			debug.FreeOSMemory()
		}
	}
}

// freeDelay is the quiet after a build before its memory is handed back:
// long enough that a burst of builds pays it once, short enough that an
// idle golive is done with it within half a second of its last build.
const freeDelay = 250 * time.Millisecond
