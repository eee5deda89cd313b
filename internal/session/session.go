// Package session is golive's main job, wired: the start-up walk, the
// watcher, the embedded files, in-process reload, the program's
// environment and stdin, r + Enter, and the runner loop that drives the
// builds and the program, from a resolved config until its context ends.
// cmd/golive turns the command line into Options and an exit status; a Go
// test drives a Session with temporary directories and its own writers.
package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/debug"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/extld"
	"github.com/golive-dev/golive/internal/goenv"
	"github.com/golive-dev/golive/internal/graph"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/proxy"
	"github.com/golive-dev/golive/internal/ready"
	"github.com/golive-dev/golive/internal/reload"
	"github.com/golive-dev/golive/internal/rules"
	"github.com/golive-dev/golive/internal/side"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// Options are a session's resolved inputs.
type Options struct {
	// Config is validated, with the flags applied; Build.Package names
	// the main package, relative to Dir.
	Config config.Config
	// Dir is the start directory, absolute: the watched root and the
	// program's working directory.
	Dir string
	Log *events.Logger
	// Stdin is golive's stdin: the program's with run.stdin, else read
	// for r + Enter when it is a terminal. Stdout and Stderr are the
	// program's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Force is closed when the user insists (a second Ctrl-C): a stop in
	// progress kills at once.
	Force <-chan struct{}
	// Rebuild delivers outside requests for a rebuild (SIGUSR1).
	Rebuild <-chan struct{}
	// Service names the session when it is one service of several
	// ([[service]]): its program's output lines carry the name, and the
	// work directory and recipe store are its own. Log stamps it already.
	Service string
	// Gate, when set, is waited for before each start of the program
	// (a service's after): an error keeps the old program running.
	Gate func(ctx context.Context) error
	// ProxyDeps are the services the one the proxy fronts waits for,
	// with whether each has a readiness check; OnProxy, when set, gets
	// the proxy's Observe once it listens, for their events.
	ProxyDeps map[string]bool
	OnProxy   func(observe func(events.Event))
	// Builds, shared by the sessions of several services, runs one go
	// build for those that need one at the same moment.
	Builds *builder.Group
}

// ErrReported marks an error that the session has already reported in
// its log: the caller only sets the exit status.
var ErrReported = errors.New("session: stopped by an error it reported")

// Session is one run of golive's main job.
type Session struct {
	opts     Options
	cfg      config.Config
	envFile  string   // run.env_file as the watcher names it, or ""
	dlv      string   // delve, with run.debug
	extraEnv []string // added to the program's environment (plugin delivery)
}

// New returns a session for opts; Run runs it.
func New(opts Options) *Session {
	s := &Session{opts: opts, cfg: opts.Config}
	s.envFile = s.envFileRel()
	return s
}

// Run builds, runs and watches the program, and rebuilds and restarts it
// on every change, until ctx is done. It returns only once nothing of the
// program is left. An error before anything started is returned as it
// is; one after that has been reported and wraps ErrReported.
func (s *Session) Run(ctx context.Context) error {
	if s.opts.Service == "" { // the top session: the names are all known here
		s.opts.Log = s.opts.Log.WithServiceWidth(longestName(s.cfg))
	}
	if len(s.cfg.Services) > 0 {
		return s.runServices(ctx)
	}
	log := s.opts.Log
	work, err := builder.NewServiceWorkDir(s.opts.Dir, s.opts.Service, BinaryName(s.opts.Dir, s.pkg()))
	if err != nil {
		return err
	}
	defer work.Remove()
	runOpts, err := s.runOptions()
	if err != nil {
		return err
	}
	check, err := ready.Parse(s.cfg.Run.Ready)
	if err != nil {
		return fmt.Errorf("run.ready %q: %w", s.cfg.Run.Ready, err)
	}
	if s.cfg.Run.Debug {
		if s.dlv, err = debug.Find(goBin(s.buildEnv())); err != nil {
			return err
		}
	}
	px, err := s.listenProxy(check != nil)
	if err != nil {
		return err
	}
	if px != nil {
		defer px.Close() // should anything fail before it runs
		log = s.opts.Log // tapped by the proxy
	}
	if err := procgroup.BecomeSubreaper(); err != nil {
		log.Warnf("cannot become a child subreaper (%v); orphans of go build are left to init", err)
	}
	// First: it adds the hot library's build tag, which go list of the
	// embedded files needs too.
	reloader, err := s.setUpPlugins(ctx, work)
	if err != nil {
		log.Errorf("%v", err)
		return fmt.Errorf("%w: %w", ErrReported, err)
	}
	if reloader != nil {
		defer reloader.Close()
	}
	var wk *walk
	buildCtx := builder.Context(BuildOptions(s.cfg, s.opts.Dir, nil))
	outside := make(chan watcher.Dirs)
	set := graph.New(graph.Options{
		Dir: s.opts.Dir, Package: s.pkg(), Tags: s.cfg.Build.Tags, Flags: s.cfg.Build.Flags, Env: s.buildEnv(), Log: log, Context: &buildCtx,
		Tree:   s.cfg.Watch.Mode == "tree",
		Counts: func(rel string) bool { return wk.counts(rel) },
	})
	// Nothing golive writes is a change of the tree, should its cache lie
	// in it: this session's work directory, the project's recipe store
	// (go build's $WORK), other sessions' work directories.
	include := slices.Concat(s.cfg.Watch.Include, ruleGlobs(s.cfg.Rules), processGlobs(s.cfg.Processes))
	if px != nil {
		include = slices.Concat(include, s.cfg.Proxy.ReloadOnly)
	}
	wopts := WatchOptions(s.cfg.Watch, s.opts.Dir)
	wopts.Include = include
	wopts.Ignore = []string{filepath.Dir(work.Dir())}
	wopts.Extra = func(rel string) bool { return rel == s.envFile || set.Has(rel) }
	if s.envFile != "" && !strings.HasPrefix(s.envFile, "../") {
		wopts.ExtraDirs = []string{path.Dir(s.envFile)}
	}
	wopts.Warn = func(err error) { log.Warnf("%v", err) }
	wopts.Tentative = s.guesses()
	if s.cfg.Watch.Mode == "graph" {
		// Only in graph mode does a watcher read outside: in tree mode the
		// set would wait on it for ever.
		wopts.Graph, wopts.Outside = set, outside
		set.SetWatch(func(ctx context.Context, dirs []string, since time.Time) watcher.Watched {
			return watchOutside(ctx, outside, dirs, since)
		})
	}
	if s.cfg.Log.Verbose {
		wopts.Ignored = func(rel, why string) {
			log.Emit(events.Event{Type: events.Ignored, Paths: []string{rel}, Message: why})
		}
	}
	if err := watcher.Check(wopts); err != nil {
		return err
	}
	if wopts.Poll { // golive's own switch to polling says why; this one is asked for
		log.Infof("polling the watched directories every %s (watch.poll)", cmp.Or(wopts.PollInterval, watcher.DefaultPollInterval))
	}
	eng, err := s.newRules(func() *watcher.Watcher { return wk.watcher() }, set)
	if err != nil {
		return err
	}
	rulesFailed := s.startRules(ctx, eng)
	// Before the caller's context can end it: a Ctrl-C during a walk that
	// comes first still stops golive at once.
	wk = startWalk(wopts, work.Dir())
	if !wk.beside {
		if err := wk.wait(); err != nil {
			return err
		}
	}
	return s.loop(ctx, work, wk, set, eng, rulesFailed, runOpts, check, reloader, px)
}

// loop runs the goroutines around the runner loop and the loop itself,
// on the calling goroutine, and stops them all before it returns.
// rulesFailed is when the rules failed at start-up (zero: they passed):
// then the first build waits until they pass (awaitRules).
func (s *Session) loop(ctx context.Context, work *builder.WorkDir, wk *walk, set *graph.Set, eng *rules.Engine, rulesFailed time.Time, runOpts supervise.Options, check *ready.Check, reloader *reload.Reloader, px *proxy.Server) error {
	log := s.opts.Log
	if px != nil {
		// Stopped last (deferred first): the proxy answers until the
		// program is gone, and its port is free when Run returns.
		pctx, stopProxy := context.WithCancel(context.Background())
		proxyDone := make(chan struct{})
		go func() {
			defer close(proxyDone)
			if err := px.Run(pctx); err != nil {
				log.Errorf("%v", err)
			}
		}()
		defer func() { stopProxy(); <-proxyDone }()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan watcher.Batch)
	watchErr := make(chan error, 1)
	wg.Go(func() {
		if err := wk.run(ctx, batches); err != nil {
			watchErr <- err
			cancel()
		}
	})
	specs, watched, err := s.sideProcesses()
	if err != nil {
		return err
	}
	sides := side.New(log, specs, s.opts.Force)
	wg.Go(func() { sides.Run(ctx) })
	toRunner := batches
	retryRules := make(chan struct{}, 1) // awaitRules → the stage
	{                                    // the rules, the side processes' watch globs, templ's text-only saves
		out := make(chan watcher.Batch)
		in := toRunner
		st := stage{eng: eng, px: px, sides: sides, watched: watched, builds: func(rel string) bool { return set.Builds(rel) || set.Has(rel) },
			startFailed: rulesFailed, walk: wk, retry: retryRules}
		wg.Go(func() { s.applyRules(ctx, st, in, out) })
		toRunner = out
	}
	if px != nil {
		if asset, err := reloadOnly(s.cfg.Proxy.ReloadOnly, set.Has); err == nil && len(s.cfg.Proxy.ReloadOnly) > 0 {
			out := make(chan watcher.Batch)
			in := toRunner
			wg.Go(func() { s.splitAssets(ctx, in, out, px, asset) })
			toRunner = out
		}
	}
	requests := make(chan runner.Request)
	wg.Go(func() { forward(ctx, s.opts.Rebuild, requests) })
	s.manualRebuilds(ctx, requests)
	built := make(chan struct{}, 1)
	wg.Go(func() { set.Run(ctx, requests, built) })
	wg.Go(func() { freeAfterBuilds(ctx, built) })

	var reloaderOpt runner.Reloader
	if reloader != nil { // a nil *reload.Reloader in the interface would not be nil
		reloaderOpt = reloader
	}
	starter := s.starter(ctx, runOpts, eng)
	defer starter.Close()
	if starter.Stdin != nil {
		defer starter.Stdin.Close()
	}
	if lw, ok := runOpts.Stderr.(*events.LineWriter); ok {
		// A last line without a newline belongs to the program that wrote
		// it: flushed before the next one starts, and when golive is done.
		starter.BeforeStart = lw.Flush
		defer lw.Flush()
	}
	buildOpts := BuildOptions(s.cfg, s.opts.Dir, work)
	buildOpts.KeepRecipe = true         // the next session's first build can then be a replay
	buildOpts.Importers = set.Importers // an edit of a package's export data replays its importers
	buildOpts.Group = s.opts.Builds
	buildOpts.Reads = set.Has // a shared edit: the group waits for this service's build of it
	if s.cfg.Log.Verbose {
		buildOpts.Verbose = func(line string) { log.Infof("%s", line) }
	}
	// A replayed external link asks the C compiler no flag questions
	// answered before (internal/extld); -v says why, where it cannot.
	buildOpts.Linker = extld.Linker(filepath.Join(work.Cache(), "extld"), buildOpts.Env, buildOpts.Verbose)
	b := builder.New(buildOpts)
	defer b.Close()
	var start runner.Starter = starter
	if s.cfg.Run.Debug {
		dbg := &debug.Starter{Starter: starter, Dlv: s.dlv, Listen: s.cfg.Run.DebugListen, Log: log}
		defer dbg.Close()
		starter.Under = dbg.Under
		start = dbg
	}
	var builder runner.Builder = &walkGate{b: b, walk: wk, log: log}
	if len(s.cfg.Build.Before)+len(s.cfg.Build.After) > 0 {
		builder = &commandsBuilder{b: builder, eng: eng, before: s.cfg.Build.Before, after: s.cfg.Build.After}
	}
	opts := runner.Options{
		Builder:     builder,
		Starter:     start,
		Log:         log,
		Package:     s.pkg(),
		Force:       s.opts.Force,
		Requests:    requests,
		Restart:     runner.RestartPolicy(s.cfg.Run.Restart),
		RestartOnly: func(rel string) bool { return rel != "" && (rel == s.envFile || eng.Restarts(rel)) },
		Reloader:    reloaderOpt,
		MaxReloads:  s.cfg.Plugins.MaxReloads,
		Built: func(b runner.Built) {
			set.Built(b)
			select {
			case built <- struct{}{}:
			default:
			}
		},
	}
	if check != nil { // a nil *ready.Check in the interface would not be nil
		opts.Ready = check
	}
	if rulesFailed.IsZero() || awaitRules(ctx, toRunner, requests, retryRules, log) {
		runner.New(opts).Run(ctx, toRunner)
	}
	cancel()
	wg.Wait()
	select {
	case err := <-watchErr:
		log.Errorf("%v", err)
		return fmt.Errorf("%w: %w", ErrReported, err)
	default:
		return nil
	}
}

// watchOutside hands dirs to the watcher's goroutine and returns what
// it watches once it does, or nothing when ctx ends.
func watchOutside(ctx context.Context, to chan<- watcher.Dirs, dirs []string, since time.Time) watcher.Watched {
	d := watcher.Dirs{List: dirs, Since: since, Done: make(chan watcher.Watched, 1)}
	select {
	case to <- d:
	case <-ctx.Done():
		return watcher.Watched{}
	}
	select {
	case ws := <-d.Done:
		return ws
	case <-ctx.Done():
		return watcher.Watched{}
	}
}

// forward turns outside rebuild requests into the loop's, until ctx is
// done.
func forward(ctx context.Context, in <-chan struct{}, out chan<- runner.Request) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-in:
			select {
			case out <- runner.Request{}:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (s *Session) pkg() string { return s.cfg.Build.Package }

// guesses reports whether the runner may start a build before the quiet
// window ends (watcher.Options.Tentative): where the stage between the
// watcher and the runner passes batches on as they are, with no rule,
// side process, command list or reload_only asset to take a path, and
// for a program of its own (services share go builds), outside templ's
// development mode.
func (s *Session) guesses() bool {
	c := s.cfg
	return s.opts.Service == "" && c.Watch.Debounce > 0 && len(c.Rules) == 0 && len(c.Processes) == 0 &&
		len(c.Build.Before)+len(c.Build.After)+len(c.Run.BeforeStart) == 0 && len(c.Proxy.ReloadOnly) == 0 &&
		!s.templDev() // a _templ.go whose code stayed the same builds nothing
}

// BuildOptions turns the config into the builder's options for the
// program in the start directory dir; work may be nil where nothing is
// built (discovery).
func BuildOptions(cfg config.Config, dir string, work *builder.WorkDir) builder.Options {
	b := cfg.Build
	flags, debugBuild := b.Flags, b.Debug
	if cfg.Run.Debug { // delve wants DWARF, and code it can step through
		debugBuild = true
		if !slices.ContainsFunc(flags, func(f string) bool { return strings.Contains(f, "-gcflags") }) {
			flags = append(slices.Clip(flags), "-gcflags=all=-N -l")
		}
	}
	return builder.Options{
		Dir: dir, Package: b.Package, Flags: flags, Tags: b.Tags, LDFlags: b.LDFlags,
		Debug: debugBuild, Env: withEnv(os.Environ(), b.Env), Work: work, Replay: b.Replay,
	}
}

// WatchOptions turns watch.* into the watcher's options for the start
// directory dir; the session adds what it wires itself (the build graph
// of watch.mode, the filter's extras, the log).
func WatchOptions(w config.Watch, dir string) watcher.Options {
	return watcher.Options{
		Root:         dir,
		Include:      w.Include,
		Exclude:      w.Exclude,
		Debounce:     time.Duration(w.Debounce),
		Poll:         w.Poll,
		PollInterval: time.Duration(w.Interval),
		AllowRoot:    w.AllowRoot,
		GitIgnore:    w.GitIgnore,
	}
}

// goBin is where go install puts commands, for finding dlv off PATH.
func goBin(env []string) string {
	if bin := goenv.Get(env, "GOBIN"); bin != "" {
		return bin
	}
	if path := goenv.Get(env, "GOPATH"); path != "" {
		return filepath.Join(filepath.SplitList(path)[0], "bin")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "bin")
	}
	return ""
}

// buildEnv is go build's environment: golive's, then build.env.
func (s *Session) buildEnv() []string { return withEnv(os.Environ(), s.cfg.Build.Env) }

// withEnv returns base with extra set, extra winning.
func withEnv(base []string, extra map[string]string) []string {
	env := slices.Clone(base)
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// BinaryName names the binary after the program in pkg (relative to dir),
// so ps and top show it.
func BinaryName(dir, pkg string) string {
	name := filepath.Base(filepath.Join(dir, pkg))
	if name == "." || name == string(filepath.Separator) {
		return "app"
	}
	return name
}

// setUpPlugins prepares in-process reload when plugins are configured
// and can work here. It adds the hot library's build tag to the
// program's build and the delivery socket to its environment. Where
// plugins cannot work it says why, once, and golive restarts instead.
func (s *Session) setUpPlugins(ctx context.Context, work *builder.WorkDir) (*reload.Reloader, error) {
	pkgs := s.cfg.Plugins.Packages
	if len(pkgs) == 0 {
		return nil, nil
	}
	log := s.opts.Log
	if s.cfg.Run.Debug {
		// The program's pid is delve's then, and delve restarts it on
		// every build anyway.
		log.Infof("in-process reload is off under --debug; every change rebuilds and restarts in place")
		return nil, nil
	}
	if s.cfg.Plugins.MaxReloads == 0 {
		log.Infof("plugins.max_reloads is 0: in-process reload is off; every change rebuilds and restarts")
		return nil, nil
	}
	tc, err := reload.Toolchain(ctx, s.opts.Dir, s.buildEnv())
	if err != nil {
		log.Warnf("in-process reload is off (%v); every change rebuilds and restarts", err)
		return nil, nil
	}
	s.cfg.Build.Tags = append(s.cfg.Build.Tags, reload.BuildTag)
	// The loader links externally: gold, where installed, is faster, and
	// extld answers the linker's questions about the C compiler's flags
	// from the answers kept.
	s.cfg.Build.LDFlags = builder.PluginLDFlags(s.cfg.Build.LDFlags, s.installExtld(work, tc))
	b, err := reload.NewBuilder(reload.Options{Build: BuildOptions(s.cfg, s.opts.Dir, work), Packages: pkgs})
	if err != nil {
		return nil, fmt.Errorf("plugins.packages: %w", err)
	}
	srv, err := reload.Listen(work.Dir())
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	s.extraEnv = append(s.extraEnv, srv.Env()...)
	return reload.NewReloader(pkgs, b, srv), nil
}

// installExtld writes golive's linker for the program's and the plugins'
// external links (internal/extld) and returns its path for -extld, or ""
// where it cannot be (a cache it cannot write, or a path with a space,
// which -ldflags and -extld split on): the links then run the C compiler
// themselves, as go build's do. One path in golive's cache for every
// project: the same from one session to the next.
func (s *Session) installExtld(work *builder.WorkDir, tc reload.Compilers) string {
	path, err := extld.Install(filepath.Join(work.Cache(), "extld"))
	if err != nil {
		return ""
	}
	vars := extld.Environ(tc.CC, tc.CXX, s.buildEnv())
	maps.Copy(vars, s.cfg.Build.Env) // build.env's own stand
	s.cfg.Build.Env = vars           // a new map: the config's may be shared
	return path
}

// longestName is the length of the longest name of a service or side
// process: their output lines are padded to it.
func longestName(c config.Config) int {
	n := 0
	for _, sv := range c.Services {
		n = max(n, len(sv.Name))
	}
	for _, p := range c.Processes {
		n = max(n, len(p.Name))
	}
	return n
}
