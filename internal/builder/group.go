package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/builder/replay"
	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/project"
	"github.com/golive-dev/golive/runner"
)

// Group lets the builders of one golive's services run one go command
// for all of them that need go build at the same moment: at start-up,
// and after an edit of a package they share that no replay can follow.
// One go build of two programs loads the packages once and compiles what
// they share once; two go builds side by side do both twice (measured in
// docs/benchmarks.md). Each builder still places its own binary and
// learns its own replay recipe, from its link in the shared trace.
//
// A builder that needs go build opens a round, or joins the one that is
// open. The round waits a moment for the others: at least gatherMin, and
// while another builder is still deciding whether a replay serves it
// (up to gatherChecking after it began), reads a file the round's builds
// are for and has not begun a build since that file changed (its
// session's watcher has yet to hand it the edit: up to gatherChecking
// after the round opened), or has not built at all yet (its first build
// is near: up to gatherFresh). Then the builders with the same flags,
// environment and directory build together; any other builds alone.
type Group struct {
	mu      sync.Mutex
	members map[*Builder]*memberState
	open    *round // the round that takes joins, or nil
	seq     int
	// expected builders, of which added have been made so far: one
	// whose session is still starting counts as fresh from created on.
	expected, added int
	created         time.Time
}

type memberState struct {
	added    time.Time
	entered  time.Time // when its last build began
	fresh    bool      // has not entered a build yet
	checking bool      // in a build, not yet known whether a replay serves it
}

const (
	gatherMin      = 5 * time.Millisecond
	gatherChecking = 250 * time.Millisecond
	gatherFresh    = time.Second
	// gatherRecent bounds how long before a round opened a file may have
	// changed and still be an edit some session has yet to hand its
	// builder: each hands it within the quiet window of the save. An older
	// change, such as an in-process reload's edit that a program build now
	// covers, every session has had long since; a builder that did not
	// build for it (it reloaded too) is not coming.
	gatherRecent = time.Second
)

// NewGroup returns a group for the builders of one golive's services,
// of which there will be expected.
func NewGroup(expected int) *Group {
	return &Group{members: map[*Builder]*memberState{}, expected: expected, created: time.Now()}
}

func (g *Group) add(b *Builder) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[b] = &memberState{added: time.Now(), fresh: true}
	g.added++
}

func (g *Group) remove(b *Builder) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.members, b)
}

// set changes b's state under the lock.
func (g *Group) set(b *Builder, change func(*memberState)) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.members[b]; st != nil {
		change(st)
	}
}

func (g *Group) enter(b *Builder) {
	now := time.Now()
	g.set(b, func(st *memberState) { st.entered, st.fresh, st.checking = now, false, true })
}

func (g *Group) decided(b *Builder) {
	g.set(b, func(st *memberState) { st.checking = false })
}

// round is one go build of several programs, from the first join until
// every builder in it took its result.
type round struct {
	opened   time.Time
	members  []*Builder
	changed  map[string]time.Time // the files the members build for, with when each changed
	fixed    bool                 // members no longer change
	alone    map[*Builder]bool    // once fixed: those that build on their own
	ready    chan struct{}        // closed once fixed
	done     chan struct{}        // closed when the build ended
	cancel   context.CancelFunc
	ctx      context.Context
	users    int  // builders still to take the result
	building bool // the go command runs
	dir      string
	out      groupBuild
}

// groupBuild is what the go build of several programs gave.
type groupBuild struct {
	started  time.Time
	dir      string // where the programs are
	trace    string // all it printed, with -x -work
	work     string // the $WORK it kept, with -x -work
	output   string // what it printed besides its commands
	err      error
	packages []string
	built    bool // some program was built: go build got past loading
}

// build builds b, after an edit of changed, with the others that need
// go build now, and reports false when b builds alone after all.
func (g *Group) build(ctx context.Context, b *Builder, changed []string, start time.Time) (runner.BuildResult, bool) {
	if g == nil {
		return runner.BuildResult{}, false
	}
	if b.name == "" {
		g.decided(b) // builds alone: no round waits for it
		return runner.BuildResult{}, false
	}
	r := g.join(b, changeTimes(b.opts.Dir, changed))
	select {
	case <-r.ready:
	case <-ctx.Done():
		g.leave(r, b)
		return runner.BuildResult{Duration: time.Since(start), Err: ctx.Err()}, true
	}
	if r.alone[b] {
		return runner.BuildResult{}, false
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		g.leave(r, b)
		return runner.BuildResult{Duration: time.Since(start), Err: ctx.Err()}, true
	}
	defer g.leave(r, b)
	return b.fromGroup(r.out, start)
}

// changeTimes returns when each of changed (relative to dir) last
// changed; a file gone is left out.
func changeTimes(dir string, changed []string) map[string]time.Time {
	times := map[string]time.Time{}
	for _, rel := range changed {
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err == nil {
			times[rel] = st.ModTime()
		}
	}
	return times
}

// join adds b, whose build is for the files changed, to the open round,
// or opens one.
func (g *Group) join(b *Builder, changed map[string]time.Time) *round {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.members[b]; st != nil {
		st.checking = false
	}
	if g.open == nil {
		ctx, cancel := context.WithCancel(context.Background())
		g.open = &round{opened: time.Now(), changed: map[string]time.Time{}, ready: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}
		go g.gather(g.open)
	}
	g.open.members = append(g.open.members, b)
	maps.Copy(g.open.changed, changed)
	return g.open
}

// leave takes b out of r: before r is fixed, as if it never joined;
// after, as one that took its result. The last one out stops the go
// command, or removes what it left.
func (g *Group) leave(r *round, b *Builder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !r.fixed {
		r.members = slices.DeleteFunc(r.members, func(m *Builder) bool { return m == b })
		return
	}
	if r.alone[b] {
		return
	}
	if r.users--; r.users == 0 {
		r.cancel()
		if !r.building {
			go r.remove() // a cold cache's $WORK is large: not on the way to the restart
		}
	}
}

// remove deletes what the round's go build left: its programs not taken
// and its $WORK, whose files each recipe holds its own links to.
func (r *round) remove() {
	os.RemoveAll(r.dir)
	os.RemoveAll(r.dir + "-tmp")
}

// gather fixes r's members once no other builder is expected to join,
// then runs the go build of those that build together.
func (g *Group) gather(r *round) {
	for {
		time.Sleep(gatherMin / 2)
		g.mu.Lock()
		if waited := time.Since(r.opened); waited >= gatherMin && !g.expecting(r, waited) {
			break // with the lock held
		}
		g.mu.Unlock()
	}
	g.open = nil
	r.fixed = true
	together := g.partition(r)
	if len(together) > 1 {
		g.seq++
		r.dir = filepath.Join(together[0].opts.Work.Dir(), fmt.Sprintf("group-%d", g.seq))
		r.users, r.building = len(together), true
	}
	g.mu.Unlock()
	close(r.ready)
	if len(together) < 2 {
		r.cancel()
		return
	}
	r.out = runTogether(r.ctx, together, r.dir)
	g.mu.Lock()
	r.building = false
	gone := r.users == 0
	g.mu.Unlock()
	if gone {
		r.remove()
	}
	close(r.done)
}

// expecting reports whether a builder not in r may join it soon. The
// lock is held.
func (g *Group) expecting(r *round, waited time.Duration) bool {
	if g.added < g.expected && time.Since(g.created) < gatherFresh {
		return true // a service whose builder is not made yet: its first build is near
	}
	for b, st := range g.members {
		if slices.Contains(r.members, b) {
			continue
		}
		// A builder that never builds (its build.before fails) holds no
		// round up for longer than gatherFresh after it was made.
		if st.checking && time.Since(st.entered) < gatherChecking || st.fresh && time.Since(st.added) < gatherFresh {
			return true
		}
		// Its watcher saw the same edit, but a loaded machine may not
		// have run its session that far yet.
		if waited < gatherChecking && !st.checking && b.awaits(r.changed, st.entered, r.opened) {
			return true
		}
	}
	return false
}

// awaits reports whether b reads one of changed, which changed shortly
// before the round opened, and has not begun a build since it changed:
// the edit's build of b is still to come.
func (b *Builder) awaits(changed map[string]time.Time, entered, opened time.Time) bool {
	if b.opts.Reads == nil {
		return false
	}
	for rel, at := range changed {
		if entered.Before(at) && opened.Sub(at) < gatherRecent && b.opts.Reads(rel) {
			return true
		}
	}
	return false
}

// partition returns the members that build together: those that build
// as the first one does, each program under a name of its own. The rest
// build alone. The lock is held.
func (g *Group) partition(r *round) []*Builder {
	r.alone = map[*Builder]bool{}
	var together []*Builder
	names := map[string]bool{}
	for _, b := range r.members {
		if len(together) > 0 && (b.groupKey() != together[0].groupKey() || names[b.name]) {
			r.alone[b] = true
			continue
		}
		together = append(together, b)
		names[b.name] = true
	}
	if len(together) == 1 {
		r.alone[together[0]] = true
		together = nil
	}
	return together
}

// groupKey is what must be equal for two builders to share a go build:
// where it runs, its environment, its flags, and whether it traces for
// a replay.
func (b *Builder) groupKey() string {
	args := Args(b.opts, "OUT")
	key := []string{b.opts.Dir, fmt.Sprint(b.replay != nil)}
	key = append(key, args[:len(args)-1]...)
	key = append(key, b.opts.Env...)
	return strings.Join(key, "\x00")
}

// runTogether runs one go build of the members' programs into dir.
func runTogether(ctx context.Context, members []*Builder, dir string) groupBuild {
	first := members[0]
	out := groupBuild{dir: dir}
	// Not any member's GOTMPDIR, which a cancelled build of its own
	// sweeps; and not in dir, where a program could be called tmp.
	tmp := dir + "-tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		out.err = fmt.Errorf("create work directory: %w", err)
		return out
	}
	args := Args(first.opts, dir+string(filepath.Separator))
	if first.replay != nil {
		args = append([]string{"build", "-x", "-work"}, args[1:]...)
	}
	for _, m := range members[1:] {
		args = append(args, m.opts.Package)
	}
	for _, m := range members {
		out.packages = append(out.packages, m.opts.Package)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = first.opts.Dir
	cmd.Env = append(slices.Clip(first.opts.Env), "GOTMPDIR="+tmp)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	out.started = time.Now()
	out.err = procgroup.Run(ctx, cmd)
	out.trace, out.output = buf.String(), buf.String()
	if first.replay != nil {
		out.output, out.work = replay.SplitTrace(out.trace)
	}
	for _, m := range members {
		if isFile(filepath.Join(dir, m.name)) {
			out.built = true
		}
	}
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// fromGroup makes b's result of a go build of several programs: its
// binary placed and its recipe learned from its own link, or the build's
// diagnostics when its program was not built. It reports false when b
// must build alone after all: its program is not where go build puts it.
func (b *Builder) fromGroup(out groupBuild, start time.Time) (runner.BuildResult, bool) {
	res := runner.BuildResult{Duration: time.Since(start)}
	var exit *exec.ExitError
	if out.err != nil && !errors.As(out.err, &exit) {
		b.forget()
		res.Err = fmt.Errorf("run go build: %w", out.err)
		return res, true
	}
	prog := filepath.Join(out.dir, b.name)
	if !isFile(prog) {
		// A load error (a missing module, an import cycle) stops go build
		// before it builds anything, for every program: each builds alone
		// then, and only the one it is about fails. A compile error stops
		// only the programs that need the package.
		if out.err == nil || !out.built && !compileFailed(out.output) {
			return runner.BuildResult{}, false
		}
		b.forget()
		res.Failed = true
		res.Diagnostics, res.Output = ParseDiagnostics(out.output, b.opts.Dir)
		return res, true
	}
	b.say("one go build for " + strings.Join(out.packages, ", "))
	if b.replay != nil {
		// b's link ran, after every package it links was compiled: its part
		// of the trace is whole, whatever failed for another program.
		b.learnShared(out, prog)
	}
	tmp := b.opts.Work.nextTemp()
	if err := os.Rename(prog, tmp); err != nil {
		res.Err = fmt.Errorf("swap binary: %w", err)
		return res, true
	}
	bin, err := b.opts.Work.place(tmp)
	if err != nil {
		os.Remove(tmp)
		res.Err = fmt.Errorf("swap binary: %w", err)
		return res, true
	}
	res.Binary = bin
	if out.err == nil {
		res.Output = out.output // warnings; after a failure, another program's errors
	}
	return res, true
}

// compileFailed reports a compile error in go build's output: its
// lines come under a "# import/path" header; a load error's do not.
func compileFailed(output string) bool {
	for _, l := range strings.Split(output, "\n") {
		if strings.HasPrefix(l, "# ") {
			return true
		}
	}
	return false
}

// learnShared learns b's recipe from its link in a go build of several.
func (b *Builder) learnShared(out groupBuild, prog string) {
	work, err := replay.ShareWork(out.work, b.opts.Work.GoTmp())
	if err != nil {
		b.forget()
		return
	}
	b.replay.LearnLink(out.trace, out.started, replay.LinkOf(out.trace, prog), work)
	b.learnMissing()
}

func (b *Builder) forget() {
	if b.replay != nil {
		b.replay.Forget()
	}
}

// execName is the name go build -o DIR/ gives the program in the main
// package at dir, as the go command names it: the import path's last
// element, or the one before a major version's (cmd/app/v2 is app).
// "" when the import path is not known: such a builder builds alone.
func execName(dir string) string {
	importPath, err := project.ImportPath(dir)
	if err != nil {
		return ""
	}
	elem := path.Base(importPath)
	if elem != importPath && isVersionElement(elem) {
		elem = path.Base(path.Dir(importPath))
	}
	if runtime.GOOS == "windows" {
		elem += ".exe"
	}
	return elem
}

// isVersionElement reports a major version path element: v2, v3, ...
func isVersionElement(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || s[1] == '1' && len(s) == 2 {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
