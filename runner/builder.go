package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
}

// BuildResult is the outcome of one go build. Err is set when golive could
// not run go build at all; a compile error is Failed with Diagnostics.
type BuildResult struct {
	Binary      string // the new binary, in place for the next start
	Failed      bool
	Diagnostics []log.Diagnostic
	Output      string // what go build printed that is not a diagnostic
	Duration    time.Duration
	Err         error
}

// GoBuilder runs go build. One build at a time: the runner waits for a
// cancelled build to return before it starts the next.
type GoBuilder struct {
	opts BuildOptions
}

// NewGoBuilder returns a builder for opts.
func NewGoBuilder(opts BuildOptions) *GoBuilder {
	return &GoBuilder{opts: opts}
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
	start := time.Now()
	w := b.opts.Work
	tmp := w.nextTemp()
	cmd := exec.Command("go", b.Args(tmp)...)
	cmd.Dir = b.opts.Dir
	cmd.Env = append(b.opts.Env, "GOTMPDIR="+w.GoTmp())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := runGroup(ctx, cmd)
	res := BuildResult{Duration: time.Since(start)}
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
		res.Diagnostics, res.Output = ParseDiagnostics(out.String(), b.opts.Dir)
		return res
	}
	bin, err := w.place(tmp)
	if err != nil {
		os.Remove(tmp)
		res.Err = fmt.Errorf("swap binary: %w", err)
		return res
	}
	res.Binary = bin
	res.Output = out.String() // warnings from cgo and the like
	return res
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
