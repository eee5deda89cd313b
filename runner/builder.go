package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/log"
)

// BuildOptions say how to call go build.
type BuildOptions struct {
	Dir     string   // where go build runs: the directory golive started in
	Package string   // the main package, relative to Dir ("./cmd/app")
	Flags   []string // extra flags, passed before the package
	Tags    []string
	LDFlags string
	Debug   bool     // keep DWARF: no -w in the dev profile
	Env     []string // the whole environment for go build
	Work    *WorkDir // where binaries and go's temp files go
	// Replay lets an edit of packages the last build compiled be built by
	// that build's own compile and link commands (replay.go). Linux only.
	Replay bool
	// KeepRecipe, with Replay, keeps the last recipe for the next session
	// in Dir (replay_store.go); Close writes it down.
	KeepRecipe bool
}

// BuildResult is the outcome of one go build. Err is set when golive could
// not run go build at all; a compile error is Failed with Diagnostics.
type BuildResult struct {
	Binary      string // the new binary, in place for the next start
	Failed      bool
	Diagnostics []log.Diagnostic
	Output      string // what go build printed that is not a diagnostic
	Duration    time.Duration
	Replayed    bool // built by a replay of the compiler and linker, not go build
	Err         error
}

// GoBuilder runs go build. One build at a time: the runner waits for a
// cancelled build to return before it starts the next.
type GoBuilder struct {
	opts   BuildOptions
	replay *replayer    // nil: every build is go build
	store  *recipeStore // nil: the recipe ends with the session
}

// NewGoBuilder returns a builder for opts.
func NewGoBuilder(opts BuildOptions) *GoBuilder {
	b := &GoBuilder{opts: opts}
	if opts.Replay && replaySupported && opts.Work != nil && !userTracesBuild(append(goFlags(opts.Env), opts.Flags...)) {
		b.replay = &replayer{ctx: buildContext(opts), env: opts.Env, out: filepath.Join(opts.Work.Dir(), "replay")}
		if opts.KeepRecipe {
			b.takeStore()
		}
	}
	return b
}

// takeStore moves the recipe's files into the project's store and takes
// up the recipe the last session kept there, if it still holds.
func (b *GoBuilder) takeStore() {
	s := openStore(b.opts.Work.recipe, b.opts)
	if s == nil {
		return
	}
	b.store = s
	b.opts.Work.gotmp = s.tmp()
	b.replay.out = s.out()
	rec, seq, err := s.take(filepath.Join(b.opts.Dir, b.opts.Package), b.opts.Env)
	if err == nil {
		b.replay.rec, b.replay.seq, b.replay.kept = rec, seq, true
	}
	s.sweep(b.replay.rec)
}

// Close keeps the recipe for the next session in the same directory. Call
// it once, when no build runs.
func (b *GoBuilder) Close() {
	if b.store != nil {
		b.store.close(b.replay)
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

// goFlags returns the GOFLAGS go build applies on top of its command
// line: the environment's, or else those `go env -w` wrote. A -modfile
// or -overlay there names files no snapshot stamps.
func goFlags(env []string) []string {
	if v := envValue(env, "GOFLAGS"); v != "" {
		return strings.Fields(v)
	}
	data, err := os.ReadFile(goEnvFile(env))
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "GOFLAGS="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			return strings.Fields(v)
		}
	}
	return nil
}

// Args returns the go build arguments (without "go") that write out.
func (b *GoBuilder) Args(out string) []string {
	return BuildArgs(b.opts, out)
}

// BuildArgs returns `build -o out [flags] pkg` with golive's dev profile:
// -buildvcs=false (no git status per build) and -ldflags=-w (no DWARF,
// the biggest part of the link), unless opts.Debug or a -gcflags with -N
// asks for a debuggable binary. The go command keeps only the last
// -ldflags, so the user's ldflags are merged into one flag here.
func BuildArgs(opts BuildOptions, out string) []string {
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

// Build runs go build into a fresh temp path and, on success, renames it
// onto the binary that runs next. Cancelling ctx kills go build with its
// whole process group (compile and link children included) and sweeps the
// work directory that the killed go command leaves behind.
func (b *GoBuilder) Build(ctx context.Context) BuildResult {
	return b.BuildChanged(ctx, nil)
}

// BuildChanged builds after an edit of changed (slash-separated paths
// relative to Dir; nil: unknown). It replays the last build when the edit
// allows it, and runs go build otherwise.
func (b *GoBuilder) BuildChanged(ctx context.Context, changed []string) BuildResult {
	start := time.Now()
	if res, ok := b.tryKept(ctx, changed, start); ok {
		return res
	}
	if res, ok := b.tryReplay(ctx, changed, start); ok {
		return res
	}
	w := b.opts.Work
	tmp := w.nextTemp()
	args := b.Args(tmp)
	if b.replay != nil {
		// -x prints the commands a replay runs again; -work keeps the
		// import configs and archives they read.
		args = append([]string{"build", "-x", "-work"}, args[1:]...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = b.opts.Dir
	cmd.Env = append(b.opts.Env, "GOTMPDIR="+w.GoTmp())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := runGroup(ctx, cmd)
	res := BuildResult{Duration: time.Since(start)}
	output := out.String()
	if b.replay != nil {
		// Only a build that succeeds describes the tree: after any other
		// the recipe is forgotten, and the next build is go build.
		var work string
		output, work = splitTrace(output)
		if err == nil && ctx.Err() == nil {
			b.replay.learn(out.String(), b.opts.Dir, filepath.Join(b.opts.Dir, b.opts.Package), start)
		} else {
			b.replay.forget()
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
func (b *GoBuilder) tryReplay(ctx context.Context, changed []string, start time.Time) (BuildResult, bool) {
	if b.replay == nil || len(changed) == 0 {
		return BuildResult{}, false
	}
	return b.replayInto(ctx, b.absPaths(changed), start)
}

// tryKept builds the session's first build, whose changes golive does not
// know, with the recipe an earlier session kept: the link, and the
// compile of the packages whose files changed since that recipe's build.
func (b *GoBuilder) tryKept(ctx context.Context, changed []string, start time.Time) (BuildResult, bool) {
	if b.replay == nil || !b.replay.kept || changed != nil {
		return BuildResult{}, false
	}
	edited, ok := b.replay.sinceKept()
	if !ok {
		b.replay.kept = false
		return BuildResult{}, false
	}
	res, ok := b.replayInto(ctx, edited, start)
	if res.Err == nil {
		b.replay.kept = false // built, or left to go build: either way, done
	}
	return res, ok
}

// replayInto replays the recipe for the changed files (absolute paths).
func (b *GoBuilder) replayInto(ctx context.Context, changed []string, start time.Time) (BuildResult, bool) {
	w := b.opts.Work
	tmp := w.nextTemp()
	err := b.replay.build(ctx, changed, tmp)
	if ctx.Err() != nil {
		os.Remove(tmp)
		return BuildResult{Duration: time.Since(start), Err: ctx.Err()}, true
	}
	if err != nil {
		os.Remove(tmp)
		return BuildResult{}, false
	}
	bin, err := w.place(tmp)
	if err != nil {
		os.Remove(tmp)
		return BuildResult{}, false
	}
	return BuildResult{Binary: bin, Duration: time.Since(start), Replayed: true}, true
}

// RunGroup runs cmd as runGroup does: the plugin builder's go build is
// killed, waited for and reaped like the program's.
func RunGroup(ctx context.Context, cmd *exec.Cmd) error { return runGroup(ctx, cmd) }

// runGroup starts cmd in its own process group and waits for it, killing
// the whole group when ctx is cancelled. It then waits up to a second for
// the group to be gone; on Linux that wait also reaps, by pid, the
// group's processes that were re-parented to golive (a child subreaper)
// when the go command died before its compile and link children.
func runGroup(ctx context.Context, cmd *exec.Cmd) error {
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	release, err := afterStart(cmd.Process)
	if err != nil {
		killGroup(cmd.Process)
		cmd.Wait()
		return err
	}
	done := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		select {
		case <-ctx.Done():
			killGroup(cmd.Process)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	<-killed // release only after the last use of the group
	if ctx.Err() != nil {
		// The compile and link children die with the group; wait for
		// them so that the next build starts on a quiet machine.
		waitGroupGone(cmd.Process, time.Second)
	}
	release()
	return err
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

func (b *GoBuilder) absPaths(rel []string) []string {
	abs := make([]string, len(rel))
	for i, p := range rel {
		abs[i] = filepath.Join(b.opts.Dir, filepath.FromSlash(p))
	}
	return abs
}
