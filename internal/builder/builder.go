// Package builder builds the program with go build: golive's dev profile
// of flags (Args), a fresh temp file renamed onto the binary on success,
// compile errors as diagnostics, a cancel that kills go build's whole
// process group, and, where it can, a replay of the last build's compile
// and link instead (replay/). The work directory it builds in is
// WorkDir's.
package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	gobuild "go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/builder/replay"
	"github.com/golive-dev/golive/internal/goenv"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/runner"
)

// Options say how to call go build.
type Options struct {
	Dir     string   // where go build runs: the directory golive started in
	Package string   // the main package, relative to Dir ("./cmd/app")
	Flags   []string // extra flags, passed before the package
	Tags    []string
	LDFlags string
	Debug   bool     // keep DWARF: no -w in the dev profile
	Env     []string // the whole environment for go build
	Work    *WorkDir // where binaries and go's temp files go
	// Replay lets an edit of packages the last build compiled be built by
	// that build's own compile and link commands (package replay). Linux
	// only.
	Replay bool
	// KeepRecipe, with Replay, keeps the last recipe for the next session
	// in Dir (replay.Store); Close writes it down.
	KeepRecipe bool
	// Importers, with Replay, says which packages import a package
	// (replay.Options.Importers): the build graph's answer.
	Importers func(ctx context.Context, path string) ([]string, bool)
	// Linker, with Replay, is the C linker of a replayed external link
	// (replay.Options.Linker).
	Linker func(cc string) (path string, env []string)
	// Verbose, with Replay, hears the lines golive -v says of replays:
	// why a build goes to go build rather than a replay, and when a dry
	// run taught the recipe what it lacked.
	Verbose func(line string)
	// Group, shared by the builders of one golive's services, lets those
	// that need go build at the same moment run one go command (Group).
	Group *Group
	// Reads, with Group, reports whether the program's build reads rel
	// (slash-separated, relative to Dir): the build graph's answer. A
	// round of the group waits for a builder that reads a file the
	// round's builds are for.
	Reads func(rel string) bool
}

// Builder runs go build (runner.Builder). One build at a time: the
// runner waits for a cancelled build to return before it starts the next.
type Builder struct {
	opts   Options
	replay *replay.Replayer // nil: every build is go build
	store  *replay.Store    // nil: the recipe ends with the session
	dry    dryRuns
	name   string // the program's name in a go build of several (-o DIR/); "": builds alone
}

// New returns a builder for opts.
func New(opts Options) *Builder {
	b := &Builder{opts: opts, dry: dryRuns{gen: -1}}
	if opts.Group != nil && opts.Work != nil {
		b.name = execName(filepath.Join(opts.Dir, opts.Package))
		opts.Group.add(b)
	}
	if !opts.Replay || !replay.Supported || opts.Work == nil || userTracesBuild(append(goenv.Flags(opts.Env), opts.Flags...)) {
		return b
	}
	ropts := replay.Options{
		Dir: opts.Dir, Main: filepath.Join(opts.Dir, opts.Package), Env: opts.Env,
		Args: Args(opts, "OUT"), Context: Context(opts), Out: filepath.Join(opts.Work.Dir(), "replay"),
		Importers: opts.Importers,
		Linker:    opts.Linker,
		Compiling: func() { opts.Group.decided(b) },
	}
	b.replay = replay.New(ropts)
	if opts.KeepRecipe {
		// The recipe's files go into the project's store, which may hold
		// the recipe the last session kept.
		if b.store = replay.OpenStore(opts.Work.recipe, ropts); b.store != nil {
			opts.Work.gotmp = b.store.Tmp()
			b.store.Take(b.replay)
		}
	}
	return b
}

// Context is go/build's view of which files a build with opts compiles,
// as discovery of the main package judges them too.
func Context(opts Options) gobuild.Context {
	return goenv.BuildContext(opts.Env, opts.Tags, opts.Flags)
}

// Close keeps the recipe for the next session in the same directory. Call
// it once, when no build runs.
func (b *Builder) Close() {
	b.opts.Group.remove(b)
	b.stopDry()
	if b.store != nil {
		b.store.Close(b.replay)
		b.store = nil
	}
}

// userTracesBuild reports flags that change what go build prints or
// runs in ways a replay cannot follow.
func userTracesBuild(flags []string) bool {
	for _, f := range []string{"-x", "-n", "-work", "-a", "-toolexec", "-overlay", "-pgo", "-modfile"} {
		if hasFlag(flags, f) {
			return true
		}
	}
	return false
}

// Args returns `build -o out [flags] pkg` with golive's dev profile:
// -buildvcs=false (no git status per build) and -ldflags=-w (no DWARF,
// the biggest part of the link), unless opts.Debug or a -gcflags with -N
// asks for a debuggable binary. The go command keeps only the last
// -ldflags, so the user's ldflags are merged into one flag here.
func Args(opts Options, out string) []string {
	args := []string{"build", "-o", out}
	debug := opts.Debug
	ldflags := opts.LDFlags
	var rest []string
	for i := 0; i < len(opts.Flags); i++ {
		f := opts.Flags[i]
		switch {
		case strings.HasPrefix(f, "-ldflags=") || strings.HasPrefix(f, "--ldflags="):
			ldflags = joinFlags(ldflags, trimQuotes(f[strings.Index(f, "=")+1:]))
			continue
		case (f == "-ldflags" || f == "--ldflags") && i+1 < len(opts.Flags):
			i++
			ldflags = joinFlags(ldflags, trimQuotes(opts.Flags[i]))
			continue
		case strings.Contains(f, "-gcflags") && strings.Contains(f, "-N"):
			debug = true
		case strings.Contains(f, "-gcflags") && i+1 < len(opts.Flags) && strings.Contains(opts.Flags[i+1], "-N"):
			debug = true
		}
		rest = append(rest, f)
	}
	if !hasFlag(rest, "-buildvcs") {
		args = append(args, "-buildvcs=false")
	}
	if !debug && !strings.Contains(" "+ldflags+" ", " -w ") {
		ldflags = joinFlags("-w", ldflags)
	}
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	if len(opts.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(opts.Tags, ","))
	}
	args = append(args, rest...)
	return append(args, opts.Package)
}

func joinFlags(a, b string) string {
	return strings.TrimSpace(a + " " + b)
}

func trimQuotes(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func hasFlag(flags []string, name string) bool {
	for _, f := range flags {
		if f == name || strings.HasPrefix(f, name+"=") || strings.HasPrefix(f, "-"+name) {
			return true
		}
	}
	return false
}

// Build builds after an edit of changed (slash-separated paths relative
// to Dir; nil: a full build). It replays the last build when the edit
// allows it, and runs go build otherwise, into a fresh temp path that on
// success it renames onto the binary that runs next. Cancelling ctx kills
// go build with its whole process group (compile and link children
// included) and sweeps the work directory the killed go command leaves
// behind.
func (b *Builder) Build(ctx context.Context, changed []string) runner.BuildResult {
	start := time.Now()
	b.opts.Group.enter(b)
	defer b.opts.Group.decided(b)
	if res, ok := b.tryReplay(ctx, changed, start); ok {
		return res
	}
	if res, ok := b.opts.Group.build(ctx, b, changed, start); ok {
		return res
	}
	w := b.opts.Work
	tmp := w.nextTemp()
	args := Args(b.opts, tmp)
	if b.replay != nil {
		// -x prints the commands a replay runs again; -work keeps the
		// import configs and archives they read.
		args = append([]string{"build", "-x", "-work"}, args[1:]...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = b.opts.Dir
	cmd.Env = append(slices.Clip(b.opts.Env), "GOTMPDIR="+w.GoTmp()) // Clip: a dry run may append to it meanwhile
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := procgroup.Run(ctx, cmd)
	res := runner.BuildResult{Duration: time.Since(start)}
	output := out.String()
	if b.replay != nil {
		// Only a build that succeeds describes the tree: after any other
		// the recipe is forgotten, and the next build is go build.
		var work string
		output, work = replay.SplitTrace(output)
		if err == nil && ctx.Err() == nil {
			b.replay.Learn(out.String(), start)
			b.learnMissing()
		} else {
			b.replay.Forget()
			if work != "" {
				os.RemoveAll(work)
			}
		}
	}
	if ctx.Err() != nil {
		os.Remove(tmp)
		w.sweepGoTmp()
		res.Err = ctx.Err()
		return res
	}
	if err != nil {
		os.Remove(tmp)
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			res.Err = fmt.Errorf("run go build: %w", err)
			return res
		}
		res.Failed = true
		res.Diagnostics, res.Output = ParseDiagnostics(output, b.opts.Dir)
		return res
	}
	bin, err := w.place(tmp)
	if err != nil {
		os.Remove(tmp)
		res.Err = fmt.Errorf("swap binary: %w", err)
		return res
	}
	res.Binary = bin
	res.Output = output // warnings from cgo and the like
	return res
}

// tryReplay builds changed by a replay, reporting false when go build
// must run instead: no recipe, an edit it cannot follow, or a compile or
// link error, which go build then reports in its own words. A cancelled
// replay is reported as cancelled, like a cancelled go build.
func (b *Builder) tryReplay(ctx context.Context, changed []string, start time.Time) (runner.BuildResult, bool) {
	if b.replay == nil {
		return runner.BuildResult{}, false
	}
	w := b.opts.Work
	tmp := w.nextTemp()
	err := b.replay.Build(ctx, b.absPaths(changed), tmp)
	if ctx.Err() != nil {
		os.Remove(tmp)
		return runner.BuildResult{Duration: time.Since(start), Err: ctx.Err()}, true
	}
	if err != nil {
		os.Remove(tmp)
		b.say("go build, not a replay: " + noReplayReason(err))
		return runner.BuildResult{}, false
	}
	bin, err := w.place(tmp)
	if err != nil {
		os.Remove(tmp)
		return runner.BuildResult{}, false
	}
	b.learnMissing() // a kept recipe's first replay: it may hold no compile at all
	return runner.BuildResult{Binary: bin, Duration: time.Since(start), Replayed: true}, true
}

// Speculate is Build for an edit whose burst is still open (a tentative
// batch): it replays at once, but places the binary, or runs go build
// when no replay serves, only once adopt is closed, which the caller
// does when the batch that ends the burst confirms the guess. Cancelled
// before that, it leaves nothing behind: no binary, no lines, and the
// recipe as a replay that succeeded leaves it. When no replay serves
// before the adoption, it closes idle: the build, go build, then begins
// at the adoption, and its Duration counts from there.
func (b *Builder) Speculate(ctx context.Context, changed []string, adopt <-chan struct{}, idle chan<- struct{}) runner.BuildResult {
	start := time.Now()
	if b.replay == nil || b.opts.Group != nil || changed == nil {
		close(idle)
		return b.afterAdopt(ctx, changed, adopt, time.Time{})
	}
	w := b.opts.Work
	tmp := w.nextTemp()
	err := b.replay.Build(ctx, b.absPaths(changed), tmp)
	if err != nil || ctx.Err() != nil {
		os.Remove(tmp)
		select {
		case <-adopt: // adopted while it replayed: the build began at the guess
		default:
			close(idle)
			start = time.Time{}
		}
		return b.afterAdopt(ctx, changed, adopt, start) // Build says why no replay served
	}
	select {
	case <-adopt:
	case <-ctx.Done():
	}
	if ctx.Err() != nil { // dropped, perhaps right after its adoption
		os.Remove(tmp)
		return runner.BuildResult{Duration: time.Since(start), Err: ctx.Err()}
	}
	if !b.replay.Unchanged(b.absPaths(changed)) {
		os.Remove(tmp)
		return b.afterAdopt(ctx, changed, adopt, start) // a replay of the newer bytes, or go build
	}
	bin, err := w.place(tmp)
	if err != nil {
		os.Remove(tmp)
		return b.afterAdopt(ctx, changed, adopt, start)
	}
	b.learnMissing()
	return runner.BuildResult{Binary: bin, Duration: time.Since(start), Replayed: true}
}

// afterAdopt waits for adopt, then builds as Build does; the duration
// counts from start, or from the adoption when start is zero.
func (b *Builder) afterAdopt(ctx context.Context, changed []string, adopt <-chan struct{}, start time.Time) runner.BuildResult {
	select {
	case <-adopt:
	case <-ctx.Done():
		return runner.BuildResult{Err: ctx.Err()}
	}
	res := b.Build(ctx, changed)
	if !start.IsZero() {
		res.Duration = time.Since(start)
	}
	return res
}

// say passes line to Verbose, if set.
func (b *Builder) say(line string) {
	if b.opts.Verbose != nil {
		b.opts.Verbose(line)
	}
}

// noReplayReason is a replay's error as the one line -v says: the reason
// it gives, or the first line of a compile or link that failed.
func noReplayReason(err error) string {
	return firstLine(strings.TrimPrefix(err.Error(), replay.ErrNoReplay.Error()+": "))
}

// relPath makes an absolute path relative to dir when it lies below it.
func relPath(dir, path string) string {
	if !filepath.IsAbs(path) {
		return filepath.ToSlash(filepath.Clean(path))
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return filepath.ToSlash(rel)
}

// absPaths makes the changed paths absolute; nil stays nil (a full build).
func (b *Builder) absPaths(rel []string) []string {
	if rel == nil {
		return nil
	}
	abs := make([]string, len(rel))
	for i, p := range rel {
		abs[i] = filepath.Join(b.opts.Dir, filepath.FromSlash(p))
	}
	return abs
}
