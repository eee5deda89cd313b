package rules

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxRounds bounds a chain of rules that trigger each other with no
// edit of the user's in between: rule A writes what rule B matches, B
// writes what A matches, and so on.
const MaxRounds = 5

// Options wire an Engine.
type Options struct {
	Dir   string   // the start directory: commands run there, paths are relative to it
	Env   []string // the commands' environment
	Rules []Rule
	// Written lists the files changed at or after a time whose bytes
	// differ from what golive last saw (watcher.Watcher.Written).
	Written func(since time.Time) []string
	// Builds reports whether the build reads rel (a Go file, a module
	// file, an embedded file): such a path always goes to the build.
	Builds func(rel string) bool
	// Ran, when set, hears of every command that succeeded: its name,
	// how long it took, what it printed and the files it wrote.
	Ran func(name string, took time.Duration, output string, wrote []string)
	// TemplDev says the program runs in templ's development mode
	// (TEMPL_DEV_MODE=true): only then is a _templ.go whose code stayed
	// the same a change of text the program reads at run time (TextOnly).
	TemplDev bool
	// Touched lists the files changed at or after a time, whatever their
	// bytes: what a command list wrote, which the watcher's batch may
	// already have recorded (Commands claims them all).
	Touched func(since time.Time) []string
	// Timeouts bound each command of a command list, by the list's key
	// ("build.before"): past it, the command fails as a rule's does past
	// its own. A key it lacks, or 0: no limit.
	Timeouts map[string]time.Duration
}

// Engine applies the rules to batches and runs command lists, and keeps
// the outputs it claimed. Apply and Commands may be called from
// different goroutines, one at a time each.
type Engine struct {
	opts Options
	// lists is held while a command list runs (Commands): Settle waits
	// for it, so that no batch of what the list writes is taken before
	// the list has claimed it.
	lists sync.Mutex
	mu    sync.Mutex
	// claims holds, for each file a command wrote, the hash of what it
	// wrote: a batch that names the file with those bytes is that
	// command's own doing, and starts nothing.
	claims map[string][32]byte
	templ  templTexts
}

// New returns an Engine.
func New(opts Options) *Engine {
	return &Engine{opts: opts, claims: map[string][32]byte{}, templ: templTexts{code: map[string][32]byte{}}}
}

// Result is what a batch needs once its rules ran.
type Result struct {
	// Paths go to the runner: the batch's paths that no rule took, or
	// that the build reads, and what the commands wrote that the build
	// reads. Empty: no build or restart.
	Paths []string
	Then  Action // the strongest need of the batch
	Ran   bool   // a command ran
	// Err is a command that failed (*Failed), or a chain of rules that
	// would not stop: nothing after it ran, and nothing is to be built.
	Err error
}

// Apply runs, for the paths of one batch, the command of every rule
// whose globs match one of them, once each, in the order of the rules.
// A file a command writes is offered to the rules after it, and to those
// before it in another round, but never to the rule that wrote it; a
// chain that goes on for MaxRounds rounds is an error. Paths whose bytes
// are what a command wrote earlier are dropped first.
func (e *Engine) Apply(ctx context.Context, paths []string) Result {
	pending := e.unclaimed(paths)
	var res Result
	wrote := map[string]int{}        // file → the rule that wrote it
	offered := map[string][32]byte{} // "rule path" → the bytes it was offered with
	for round := 0; len(pending) > 0; round++ {
		if round == MaxRounds {
			return Result{Ran: true, Err: e.chainError(pending, wrote)}
		}
		var next []string
		for i, r := range e.opts.Rules {
			matched := e.offer(i, r, pending, wrote, offered)
			if len(matched) == 0 || r.Argv == nil {
				continue
			}
			res.Ran = true
			out, err := e.run(ctx, r, matched)
			for _, f := range out {
				if slices.Contains(matched, f) && !e.builds(f) {
					continue // its own input, saved again meanwhile: the next batch runs it again
				}
				e.claim(f)
				if err != nil {
					continue
				}
				wrote[f] = i
				next = append(next, f)
				pending = append(pending, f) // the rules after it see it in this round
			}
			if err != nil {
				return Result{Ran: true, Err: err}
			}
		}
		for _, p := range pending {
			a, toRunner := e.needs(p, wrote)
			res.Then = max(res.Then, a)
			if toRunner {
				res.Paths = append(res.Paths, p)
			}
		}
		slices.Sort(next)
		pending = slices.Compact(next)
	}
	slices.Sort(res.Paths)
	res.Paths = slices.Compact(res.Paths)
	return res
}

// needs says what a change of p needs, and whether p goes to the runner:
// a file the build reads does, and one that no rule matches (an include,
// the env file: the runner knows what they need); a file a rule matched
// needs its rules' strongest then, and goes to the runner for a rebuild
// or a restart.
func (e *Engine) needs(p string, wrote map[string]int) (Action, bool) {
	_, written := wrote[p]
	switch {
	case e.builds(p):
		return Rebuild, true
	case written:
		return None, false // not read by the build: the rule that wrote it said what it needs
	case !e.taken(p):
		return Rebuild, true
	}
	a := e.strongest(p)
	return a, a == Rebuild || a == Restart
}

// RunAll runs the command of every rule once, in order, with no paths
// in ChangedVar, and stops at the first that fails. What the commands
// wrote is claimed, as Apply claims it: run again once the watcher is up
// (the start-up run failed), they start no batch of their own.
func (e *Engine) RunAll(ctx context.Context) error {
	for _, r := range e.opts.Rules {
		if r.Argv == nil {
			continue
		}
		out, err := e.run(ctx, r, nil)
		for _, f := range out {
			e.claim(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// need is what a change a rule matched needs. A rule that rebuilds and
// runs a command rebuilds through what the command wrote: when it wrote
// nothing the build reads (templ's text-only change in its development
// mode), the browser reloads.
func need(r Rule) Action {
	if r.Then == Rebuild && r.Argv != nil {
		return Reload
	}
	return r.Then
}

// strongest is the need of p by the rules that match it, None when none
// does.
func (e *Engine) strongest(p string) Action {
	a := None
	for _, r := range e.opts.Rules {
		if r.Match(p) {
			a = max(a, need(r))
		}
	}
	return a
}

// Takes reports whether a rule matches one of paths.
func (e *Engine) Takes(paths []string) bool {
	return slices.ContainsFunc(paths, e.taken)
}

// taken reports whether a rule matches p.
func (e *Engine) taken(p string) bool {
	return slices.ContainsFunc(e.opts.Rules, func(r Rule) bool { return r.Match(p) })
}

func (e *Engine) builds(p string) bool { return e.opts.Builds != nil && e.opts.Builds(p) }

// offer returns the paths of pending that rule i matches, leaving out
// those it wrote itself and those it was offered before with the same
// bytes, and records the offer.
func (e *Engine) offer(i int, r Rule, pending []string, wrote map[string]int, offered map[string][32]byte) []string {
	var matched []string
	for _, p := range pending {
		if w, ok := wrote[p]; (ok && w == i) || !r.Match(p) {
			continue
		}
		key := fmt.Sprintf("%d %s", i, p)
		sum := e.sum(p)
		if old, ok := offered[key]; ok && old == sum {
			continue
		}
		offered[key] = sum
		matched = append(matched, p)
	}
	return matched
}

// run runs rule r's command for matched and returns the files it wrote.
func (e *Engine) run(ctx context.Context, r Rule, matched []string) ([]string, error) {
	return e.command(ctx, Command{Name: r.Name, Argv: r.Argv, Dir: e.opts.Dir, Env: e.opts.Env, Changed: matched, Timeout: r.Timeout})
}

// command runs c and returns the files it wrote, telling Ran. A command
// that fails returns what it wrote too: its callers claim those files,
// so that a generator that writes, then fails, does not run again on its
// own output.
func (e *Engine) command(ctx context.Context, c Command) ([]string, error) {
	since := time.Now()
	out, err := Run(ctx, c)
	if err != nil {
		return e.written(since), err
	}
	wrote := e.written(since)
	if e.opts.Ran != nil {
		e.opts.Ran(c.Name, time.Since(since), out, wrote)
	}
	return wrote, nil
}

// written lists the files changed since, leaving out those whose bytes
// are what a command of this batch wrote already: a generator that
// writes the same output again has not changed it.
func (e *Engine) written(since time.Time) []string {
	if e.opts.Written == nil {
		return nil
	}
	files := e.opts.Written(since)
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.DeleteFunc(files, func(f string) bool {
		sum, ok := e.claims[f]
		return ok && sum == e.sum(f)
	})
}

// Commands runs a command list (build.before, build.after,
// run.before_start) in order, each with argv's command for its line and
// env (nil: the engine's) and the list's timeout (Options.Timeouts), and
// stops at the first that fails. The files
// they write are claimed: they start no batch of their own. It returns
// what the commands wrote.
func (e *Engine) Commands(ctx context.Context, key string, lines, changed, env []string, argv func(string) []string) ([]string, error) {
	if env == nil {
		env = e.opts.Env
	}
	e.lists.Lock()
	defer e.lists.Unlock()
	var wrote []string
	for i, line := range lines {
		name := fmt.Sprintf("%s[%d] (%s)", key, i, line)
		since := time.Now()
		files, err := e.command(ctx, Command{Name: name, Argv: argv(line), Dir: e.opts.Dir, Env: env, Changed: changed, Timeout: e.opts.Timeouts[key]})
		// Claimed whatever their bytes: the watcher may have recorded
		// them already, and then Written would not name them.
		if e.opts.Touched != nil {
			files = e.opts.Touched(since)
		}
		for _, f := range files {
			e.claim(f)
			wrote = append(wrote, f)
		}
		if err != nil {
			return wrote, err
		}
	}
	return wrote, nil
}

// Settle returns once no command list runs: what it wrote is claimed by
// then. The stage between the watcher and the runner calls it before it
// looks at a batch.
func (e *Engine) Settle() {
	e.lists.Lock()
	e.lists.Unlock() //nolint:staticcheck // an empty critical section: a wait for the holder
}

// claim records f's bytes as a command's output.
func (e *Engine) claim(f string) {
	sum := e.sum(f)
	e.mu.Lock()
	e.claims[f] = sum
	e.mu.Unlock()
}

// Unclaimed drops the paths whose bytes are what a command wrote, and
// forgets the claim of a path whose bytes differ: that change, and the
// next, are the user's. A claim that matched stays: on a loaded machine
// the watcher can report one write of a command in two batches (it
// judged the file half written, then heard the rest after the first
// batch was taken), and the second is no more a change than the first.
// Apply does it first; a caller that looks at a batch's paths before
// Apply (to say what changed) does it before that.
func (e *Engine) Unclaimed(paths []string) []string { return e.unclaimed(paths) }

func (e *Engine) unclaimed(paths []string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, p := range paths {
		sum, claimed := e.claims[p]
		if claimed && sum == e.sum(p) {
			continue
		}
		delete(e.claims, p)
		out = append(out, p)
	}
	return out
}

// sum hashes the file rel; a missing file hashes as empty content's
// opposite, so that its removal is a change.
func (e *Engine) sum(rel string) [32]byte {
	data, err := os.ReadFile(filepath.Join(e.opts.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return [32]byte{1}
	}
	return sha256.Sum256(data)
}

// ErrChain marks the error of a chain of rules that would not stop: the
// rules' doing, not an edit to try again.
var ErrChain = errors.New("rules keep triggering each other")

// chainError names the rules of a chain that would not stop, and the
// files that fed it.
func (e *Engine) chainError(pending []string, wrote map[string]int) error {
	var names []string
	for _, f := range pending {
		if i, ok := wrote[f]; ok {
			names = append(names, e.opts.Rules[i].Name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	files := slices.Clone(pending)
	if len(files) > 3 {
		files = append(files[:3], "…")
	}
	return fmt.Errorf("%w with no edit of yours: %s wrote %s, which a rule matches again; stopped after %d rounds (make a rule's match leave out what another writes)",
		ErrChain, strings.Join(names, " and "), strings.Join(files, ", "), MaxRounds)
}

// Restarts reports whether a change of rel needs a restart and no build:
// a rule with then = "restart" matches it, none needs more, and the build
// does not read it.
func (e *Engine) Restarts(rel string) bool {
	return !e.builds(rel) && e.strongest(rel) == Restart
}
