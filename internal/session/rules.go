package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/graph"
	"github.com/golive-dev/golive/internal/proxy"
	"github.com/golive-dev/golive/internal/rules"
	"github.com/golive-dev/golive/internal/side"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// compileRules turns the [[rule]] blocks into the engine's rules.
func compileRules(blocks []config.Rule) ([]rules.Rule, error) {
	var rs []rules.Rule
	for i, r := range blocks {
		match, err := watcher.Globs(r.Match)
		if err != nil {
			return nil, fmt.Errorf("rule[%d].match: %w", i, err)
		}
		argv := r.Argv()
		rs = append(rs, rules.Rule{Name: rules.Describe(fmt.Sprintf("rule[%d]", i), argv), Match: match, Argv: argv,
			Then: rules.ParseAction(r.Then), Timeout: time.Duration(r.Timeout)})
	}
	return rs, nil
}

// BuildOnce is golive build's: every rule's command once, as before a
// session's first build, then build.before, the build and build.after.
// A command that fails is the build's failure.
func BuildOnce(ctx context.Context, cfg config.Config, dir string, work *builder.WorkDir, log *events.Logger) runner.BuildResult {
	start := time.Now()
	rs, err := compileRules(cfg.Rules)
	if err != nil {
		return runner.BuildResult{Err: err}
	}
	eng := rules.New(rules.Options{Dir: dir, Env: withEnv(os.Environ(), cfg.Build.Env), Rules: rs, Timeouts: commandTimeouts(cfg),
		Ran: func(name string, took time.Duration, output string, wrote []string) {
			log.Emit(events.Event{Type: events.Command, Message: name, Duration: took, Output: output, Paths: wrote})
		}})
	if err := eng.RunAll(ctx); err != nil {
		return commandFailed(ctx, err, time.Since(start))
	}
	opts := BuildOptions(cfg, dir, work)
	opts.Replay = false // one build: nothing to replay later
	var b runner.Builder = builder.New(opts)
	if len(cfg.Build.Before)+len(cfg.Build.After) > 0 {
		b = &commandsBuilder{b: b, eng: eng, before: cfg.Build.Before, after: cfg.Build.After}
	}
	res := b.Build(ctx, nil)
	res.Duration = time.Since(start)
	return res
}

// commandTimeouts bound the commands of each command list, by its key.
func commandTimeouts(cfg config.Config) map[string]time.Duration {
	build := time.Duration(cfg.Build.CommandsTimeout)
	return map[string]time.Duration{
		"build.before":     build,
		"build.after":      build,
		"run.before_start": time.Duration(cfg.Run.BeforeStartTimeout),
	}
}

// templDev reports whether the program runs in templ's development mode:
// TEMPL_DEV_MODE=true in run.env or in golive's own environment.
func (s *Session) templDev() bool {
	if v, ok := s.cfg.Run.Env["TEMPL_DEV_MODE"]; ok {
		return v == "true"
	}
	return os.Getenv("TEMPL_DEV_MODE") == "true"
}

// ruleGlobs are the globs of every [[rule]]: golive watches their files.
func ruleGlobs(rs []config.Rule) []string {
	var globs []string
	for _, r := range rs {
		globs = append(globs, r.Match...)
	}
	return globs
}

// newRules compiles the rules and wires the engine that runs them and
// the command lists: the watcher says what a command wrote, the build
// graph which files the build reads.
func (s *Session) newRules(watching func() *watcher.Watcher, set *graph.Set) (*rules.Engine, error) {
	rs, err := compileRules(s.cfg.Rules)
	if err != nil {
		return nil, err
	}
	log := s.opts.Log
	return rules.New(rules.Options{
		Dir: s.opts.Dir, Env: s.buildEnv(), Rules: rs, TemplDev: s.templDev(), Timeouts: commandTimeouts(s.cfg),
		Written: func(since time.Time) []string {
			if w := watching(); w != nil {
				return w.Written(since)
			}
			return nil
		},
		Touched: func(since time.Time) []string {
			if w := watching(); w != nil {
				return w.Touched(since)
			}
			return nil
		},
		Builds: func(rel string) bool { return set.Builds(rel) || set.Has(rel) },
		Ran: func(name string, took time.Duration, output string, wrote []string) {
			log.Emit(events.Event{Type: events.Command, Message: name, Duration: took, Output: output, Paths: wrote})
		},
	}), nil
}

// startRules runs the command of every rule once, in order, before the
// first build and before the watcher's walk, which then takes what they
// wrote as the tree's state: a project whose generated files are not
// kept (templ's *_templ.go in .gitignore) builds at once. A command that
// fails is reported as a failed build, and nothing may be built or
// started until the rules pass: startRules returns when the rules that
// failed began (the zero time when they passed), the stage
// (stage.startFailed) runs them again for what changed since then, a
// file saved while they ran included, and the loop holds the first
// build back until they pass (awaitRules).
func (s *Session) startRules(ctx context.Context, eng *rules.Engine) (failed time.Time) {
	eng.Baseline() // before templ's watcher may rewrite a file the walk then records
	start := time.Now()
	if err := eng.RunAll(ctx); err != nil {
		if ctx.Err() == nil {
			reportRuleFailure(s.opts.Log, err, time.Since(start), noBuildYet)
		}
		return start
	}
	return time.Time{}
}

// awaitRules holds the first build back after the rules failed at
// start-up: it returns true once the stage passes on the empty batch that
// says they passed (the first build, a full one, covers every change),
// and false when ctx ends or the stage stops first. A request for a
// rebuild meanwhile (r + Enter, SIGUSR1) asks the stage to run the rules
// again (retry): their failure may have had an outside cause.
func awaitRules(ctx context.Context, in <-chan watcher.Batch, requests <-chan runner.Request, retry chan<- struct{}, log *events.Logger) bool {
	for {
		select {
		case _, ok := <-in:
			return ok
		case req := <-requests:
			if req.Why != "" {
				log.Infof("%s", req.Why)
			}
			select {
			case retry <- struct{}{}:
			default: // one is due already
			}
		case <-ctx.Done():
			return false
		}
	}
}

// What a failed rule leaves running, in its report.
const (
	oldKeepsRunning = "the old program keeps running"
	noBuildYet      = "nothing is built or started until the rules pass: the next change runs them again"
)

// stage is what the batches meet between the watcher and the runner.
type stage struct {
	eng     *rules.Engine
	px      *proxy.Server // nil without the proxy
	sides   *side.Set
	watched []watchedProcess
	builds  func(rel string) bool
	// startFailed is when the rules failed at start-up (startRules); zero
	// when they passed. Until they pass, no build has run: what changed
	// since, and then every batch, runs them all again, and once they pass
	// an empty batch goes on to release the first build (awaitRules).
	startFailed time.Time
	walk        *walk         // the start-up walk: what changed before it watched
	retry       chan struct{} // awaitRules: run the rules that failed at start-up again
}

// applyRules restarts the side processes whose watch globs a batch
// matches, then runs the rules for it, between the watcher and the
// runner. A batch whose changes still need a build or a restart goes on,
// with what the commands wrote that the build reads and without what
// only the rules needed; one that needs a browser reload has the proxy
// tell the pages; a command that fails is reported as a failed build,
// and the batch's paths wait for the next one. It closes out when in
// closes or ctx ends.
func (s *Session) applyRules(ctx context.Context, st stage, in <-chan watcher.Batch, out chan<- watcher.Batch) {
	defer close(out)
	log := s.opts.Log
	eng, px := st.eng, st.px
	var carried []string // the paths of a batch whose command failed
	failed := false      // the last batch's rules failed
	saidNoProxy := false
	startFailed := !st.startFailed.IsZero()
	if startFailed {
		passed, ok := s.retryAfterWalk(ctx, st, out)
		if !ok {
			return
		}
		startFailed = !passed
	}
	// retry runs the rules that failed at start-up again, for own (none:
	// a request for a rebuild); it reports false when ctx ended.
	retry := func(own []string) bool {
		passed, ok := s.retryStartRules(ctx, eng, own, out)
		startFailed = !passed
		return ok
	}
	for {
		var b watcher.Batch
		select {
		case <-ctx.Done():
			return
		case <-st.retry:
			if startFailed && !retry(nil) {
				return
			}
			continue
		case batch, ok := <-in:
			if !ok {
				return
			}
			b = batch
		}
		if b.Tentative {
			if startFailed || len(carried) > 0 {
				b = watcher.Batch{Tentative: true} // only a batch that ends the burst may go on: withdraw
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
			continue
		}
		eng.Settle()                        // a command list running now claims what it writes first
		own := eng.Unclaimed(batchPaths(b)) // what the commands wrote is no change of yours
		if kept, text := eng.TextOnly(own); len(text) > 0 {
			log.Emit(events.Changed(text))
			log.Infof("%s: text only, which templ's development mode serves at run time: no build", strings.Join(text, ", "))
			own = kept
		}
		if kept := restartWatchers(st.watched, st.sides, own, func(rel string) bool { return st.builds(rel) || eng.Takes([]string{rel}) }); len(kept) < len(own) {
			log.Emit(events.Changed(own))
			own = kept
		}
		if len(own) == 0 && len(carried) == 0 {
			continue
		}
		if startFailed {
			if !retry(own) {
				return
			}
			continue
		}
		paths := slices.Concat(carried, own)
		slices.Sort(paths)
		paths = slices.Compact(paths)
		taken := eng.Takes(paths)
		if taken && len(own) > 0 { // said before the commands' own lines
			log.Emit(events.Changed(own))
		}
		started := time.Now()
		res := eng.Apply(ctx, paths)
		if ctx.Err() != nil {
			return
		}
		if res.Err != nil {
			// The paths wait for the next change, unless the rules
			// themselves would not stop: then only an edit starts them.
			if carried = paths; errors.Is(res.Err, rules.ErrChain) {
				carried = nil
			}
			reportRuleFailure(log, res.Err, time.Since(started), oldKeepsRunning)
			failed = true
			continue
		}
		carried = nil
		if failed && len(res.Paths) == 0 {
			// The rules pass again and no build follows to say so: the
			// failure they reported (the pages' overlay) is over.
			log.Emit(events.Event{Type: events.BuildStart, Package: "rules"})
			log.Emit(events.Event{Type: events.BuildOK, Duration: time.Since(started)})
		}
		failed = false
		switch {
		case len(res.Paths) > 0:
			// The runner's guess at this burst holds only for the same paths.
			guess := b.Guess
			if res.Ran || !slices.Equal(res.Paths, batchPaths(b)) {
				guess = 0
			}
			select {
			case out <- watcher.Batch{Changes: changes(b, res.Paths), First: b.First, Guess: guess}:
			case <-ctx.Done():
				return
			}
		case !res.Ran && res.Then == rules.None:
			// A generator's own output, come back as a batch: nothing.
		default:
			if !taken || len(own) == 0 {
				log.Emit(events.Changed(paths))
			}
			if res.Then == rules.Reload {
				if px != nil {
					px.Assets(paths)
				} else if !saidNoProxy {
					saidNoProxy = true
					log.Infof("a rule's change reloads the browser through the proxy, which is off (set proxy.target or run.ready)")
				}
			}
		}
	}
}

// retryAfterWalk runs the rules that failed at start-up again when a
// file changed since, before the walk watched its directory: no event
// will say so. It waits for the walk, and reports whether the rules ran
// and passed; ok is false when ctx ended. A walk that failed names no
// file: its error stops golive.
func (s *Session) retryAfterWalk(ctx context.Context, st stage, out chan<- watcher.Batch) (passed, ok bool) {
	select {
	case <-st.walk.done:
	case <-ctx.Done():
		return false, false
	}
	w := st.walk.watcher()
	if w == nil {
		return false, true
	}
	// What the failed commands wrote is theirs, not a change of yours.
	touched := st.eng.Unclaimed(w.Touched(st.startFailed))
	if len(touched) == 0 {
		return false, true
	}
	return s.retryStartRules(ctx, st.eng, touched, out)
}

// retryStartRules runs every rule again for a batch (its paths own) while
// the rules that failed at start-up have not passed, and reports whether
// they passed now; then an empty batch goes on to release the first
// build, which covers every path. ok is false when ctx ended.
func (s *Session) retryStartRules(ctx context.Context, eng *rules.Engine, own []string, out chan<- watcher.Batch) (passed, ok bool) {
	log := s.opts.Log
	if len(own) > 0 { // none: a request for a rebuild
		log.Emit(events.Changed(own))
	}
	started := time.Now()
	if err := eng.RunAll(ctx); err != nil {
		if ctx.Err() != nil {
			return false, false
		}
		reportRuleFailure(log, err, time.Since(started), noBuildYet)
		return false, true
	}
	select {
	case out <- watcher.Batch{First: started}:
		return true, true
	case <-ctx.Done():
		return false, false
	}
}

// reportRuleFailure reports a command that failed as a build that did,
// so that editors and the browser overlay show it as they show a compile
// error; then says what runs meanwhile.
func reportRuleFailure(log *events.Logger, err error, took time.Duration, meanwhile string) {
	log.Emit(events.Event{Type: events.BuildStart, Package: "rules"})
	log.Emit(events.Event{Type: events.BuildFailed, Duration: took, Output: failureOutput(err) + "; " + meanwhile})
}

// failureOutput is what a failed command printed, then why it failed.
func failureOutput(err error) string {
	var f *rules.Failed
	if errors.As(err, &f) && f.Output != "" {
		return strings.TrimRight(f.Output, "\n") + "\n" + err.Error()
	}
	return err.Error()
}

func batchPaths(b watcher.Batch) []string {
	p := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		p[i] = c.Path
	}
	return p
}

// changes are the changes of paths: as b had them, or a write for a
// path b did not name (a command wrote it).
func changes(b watcher.Batch, paths []string) []watcher.Change {
	var cs []watcher.Change
	for _, p := range paths {
		c := watcher.Change{Path: p, Op: watcher.Write}
		if i := slices.IndexFunc(b.Changes, func(c watcher.Change) bool { return c.Path == p }); i >= 0 {
			c = b.Changes[i]
		}
		cs = append(cs, c)
	}
	return cs
}

// commandsBuilder runs build.before before every build and build.after
// after every good one, before the restart. A command that fails fails
// the build. What build.before writes joins the build's changes.
type commandsBuilder struct {
	b             runner.Builder
	eng           *rules.Engine
	before, after []string
}

func (c *commandsBuilder) Build(ctx context.Context, changed []string) runner.BuildResult {
	start := time.Now()
	if len(c.before) > 0 {
		wrote, err := c.eng.Commands(ctx, "build.before", c.before, changed, nil, config.ShellArgv)
		if err != nil {
			return commandFailed(ctx, err, time.Since(start))
		}
		if changed != nil {
			changed = slices.Concat(changed, wrote)
		}
	}
	res := c.b.Build(ctx, changed)
	if res.Err != nil || res.Failed || len(c.after) == 0 {
		return res
	}
	if _, err := c.eng.Commands(ctx, "build.after", c.after, changed, nil, config.ShellArgv); err != nil {
		return commandFailed(ctx, err, time.Since(start))
	}
	res.Duration = time.Since(start)
	return res
}

// commandFailed is a build result for a command that failed: a failed
// build with its output, or the context's error when golive stops.
func commandFailed(ctx context.Context, err error, took time.Duration) runner.BuildResult {
	if ctx.Err() != nil {
		return runner.BuildResult{Err: ctx.Err(), Duration: took}
	}
	return runner.BuildResult{Failed: true, Output: failureOutput(err), Duration: took}
}
