package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
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
	embeds := newEmbedSet()
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
	embeds.counts = walk.counts
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
			embeds.built(changed, started)
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
	// batches counts the builds a batch of changes caused; asked is its
	// value when the refresh last asked for a rebuild (-1: never).
	batches, asked int
	// counts is the watcher's filter (watcher.Watcher.Match): a file it
	// does not count never asks for a rebuild. Set before refresh runs.
	counts func(rel string) bool
}

func newEmbedSet() *embedSet { return &embedSet{asked: -1} }

// built records the build whose program now runs: when it started, and
// whether a batch of changes caused it (changed is nil for the first
// build and for a rebuild asked for without one).
func (e *embedSet) built(changed []string, started time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.since = started
	if changed != nil {
		e.batches++
	}
}

func (e *embedSet) has(rel string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.hasLocked(rel)
}

func (e *embedSet) hasLocked(rel string) bool {
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
// path; a rebuild it asks for waits for the runner loop here, not there.
func (e *embedSet) refresh(ctx context.Context, s *session, requests <-chan struct{}, done, rebuild chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-requests:
			again := e.load(ctx, s)
			select {
			case done <- struct{}{}: // go list's output is garbage now, too
			default:
			}
			if !again {
				continue
			}
			select {
			case rebuild <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// load replaces the set with go list's answer and reports whether the
// program must be built again.
//
// A file the set did not count before was not watched while the running
// program was built: if it changed after that build began, the program
// may embed it as it was, and no event will say so. The same goes for a
// file removed from, or added late to, a directory that is new to the
// set, which its directory's times show. Then load asks for a rebuild,
// unless the watcher's filter would not count the file (an exclude
// pattern: the program may write it), or load already asked since the
// last build that a batch of changes caused: a file that is new again
// after the rebuild it asked for is written by something that runs (the
// program, a generator), and building again would only start it again.
func (e *embedSet) load(ctx context.Context, s *session) bool {
	files, err := project.EmbedFiles(ctx, s.startDir, s.pkg, s.cfg.Build.Tags, os.Environ())
	if err != nil {
		return false // a broken tree; the next good build tries again
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
	var learned, learnedDirs []string
	for f := range set {
		if !e.hasLocked(f) {
			learned = append(learned, f)
		}
	}
	for _, d := range dirs {
		if !e.hasLocked(d) {
			learnedDirs = append(learnedDirs, d)
		}
	}
	e.files, e.dirs = set, dirs
	since := e.since
	e.mu.Unlock()
	if news {
		s.log.Infof("watching %d embedded %s", len(set), plural(len(set), "file"))
	}
	if e.counts != nil {
		learned = slices.DeleteFunc(learned, func(f string) bool { return !e.counts(f) })
		// A directory, only if the watcher counts a file of it.
		learnedDirs = slices.DeleteFunc(learnedDirs, func(d string) bool {
			for f := range set {
				if strings.HasPrefix(f, d) && e.counts(f) {
					return false
				}
			}
			return true
		})
	}
	f := changedDuring(s.startDir, learned, learnedDirs, since)
	if f == "" {
		return false
	}
	e.mu.Lock()
	again := e.asked == e.batches
	e.asked = e.batches
	e.mu.Unlock()
	if again {
		s.log.Warnf("%s changed again while the program was built, after the rebuild golive asked for: something that runs writes it (exclude it with watch.exclude); not building again until the next change", f)
		return false
	}
	s.log.Infof("%s changed while the program was built; building again", f)
	return true
}

// changedDuring returns one of files (slash paths under root), or of
// their directories inside one of dirs (embedded directories, with a
// trailing "/"), that changed at or after since (watcher.ChangedSince),
// allowing for file times that lag the clock. A directory
// changes when an entry is added, removed or renamed.
func changedDuring(root string, files, dirs []string, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	since = since.Add(-fileClockSlack)
	changed := func(rel string) bool {
		return watcher.ChangedSince(filepath.Join(root, filepath.FromSlash(rel)), since)
	}
	checked := map[string]bool{}
	for _, d := range dirs {
		if changed(d) {
			return d
		}
		checked[d] = true
	}
	for _, f := range files {
		if changed(f) {
			return f
		}
		for _, d := range dirs {
			if !strings.HasPrefix(f, d) {
				continue
			}
			for dir := path.Dir(f) + "/"; len(dir) > len(d) && !checked[dir]; dir = path.Dir(strings.TrimSuffix(dir, "/")) + "/" {
				checked[dir] = true
				if changed(dir) {
					return dir
				}
			}
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
// its smallest. It runs once golive has been quiet for freeDelay, never
// while nothing happens.
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
// short enough that an idle golive is done with it within half a second
// of its last build. A build and its refresh that end within it pay it
// once; builds take longer than that, so successive saves pay it (a
// forced GC of golive's small heap) after each build.
const freeDelay = 250 * time.Millisecond
