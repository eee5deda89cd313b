// Package replay builds an edit without the go command. Of a 600 ms `go build`
// after a one-file edit, about 300 ms is the go command itself: loading
// every package and hashing its files to find that nothing but the edited
// package changed. The compile of that package and the link are the rest.
// So after every full build golive keeps what it ran (go build -x -work:
// the commands, and the import configs they read), and for an edit that
// touches only .go files of packages that build compiled, it runs the
// compiler on those packages and the linker again, with the same
// arguments.
//
// That gives the binary go build would give only while three things hold,
// and the replay checks each before it runs, or gives up and lets go build
// run:
//   - the edited files are the package's files: no file added, removed or
//     switched off by a build constraint, none with cgo or //go:embed, and
//     every import already in the package's import config;
//   - every other package is as that build compiled it: a full build that
//     fails or is cancelled forgets the recipe, and only the recipe's own
//     replays move it on;
//   - a package other than main keeps its export data byte for byte, so
//     the packages compiled against it need nothing new (inlined bodies,
//     constants and types are all in the export data).
//
// A compile or link error in a replay is not reported: go build runs and
// reports it the usual way.
package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	gobuild "go/build"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
	"github.com/golive-dev/golive/internal/procgroup"
)

// recipe is what one full go build ran.
type recipe struct {
	work    string          // go's $WORK, kept (-work) for the import configs and archives
	pkgs    map[string]*pkg // by absolute source file
	link    command
	linkCfg string // importcfg.link's text
	// nextLinkCfg is the import config of a replay's link, until commit.
	nextLinkCfg string
	archives    map[string]string // import path -> archive the link reads now
	mod         modules           // the local modules the build reads
	dirs        []string          // the module's package directories the program links
	snap        *snapshot         // their inputs as the archives were built from them
	// untaught are the directories of dirs a dry run gave no compile
	// for (a vendored package's, cgo, embed, assembly): no other dry run
	// is asked for them, in this session or the next.
	untaught map[string]bool
}

// pkg is one package the build compiled.
type pkg struct {
	path    string // import path (-p)
	compile command
	imports map[string]bool // what its import config can resolve
	// constraints holds each file's build constraint lines as the recipe
	// was learned, by absolute path.
	constraints map[string]string
}

// command is one tool run, as go build -x printed it.
type command struct {
	dir    string
	env    []string
	args   []string
	action string // "$WORK/bNNN/": the package build it belongs to
}

// Options say which build a Replayer follows.
type Options struct {
	Dir  string   // where go build runs: the directory golive started in
	Main string   // the main package's directory, absolute
	Env  []string // go build's whole environment
	// Args are go build's arguments with OUT for the output file, as
	// builder.Args gives them: a kept recipe holds only for the same.
	Args []string
	// Context is go/build's view of the build (goenv.BuildContext): which
	// files it compiles.
	Context gobuild.Context
	Out     string // where replayed archives go
	// Importers returns the import paths of the packages (outside the
	// standard library) that import path in the build, and whether they
	// are known: an edit that changes a package's export data replays
	// only when every one of them is a package the recipe can compile.
	// Nil: such an edit needs go build.
	Importers func(ctx context.Context, path string) ([]string, bool)
	// Compiling, when set, hears that a replay passed its checks and
	// compiles: go build is not needed, unless a compile fails.
	Compiling func()
	// Linker, when set, is asked for the C linker a replayed link names
	// in place of the compiler go build named (-extld=cc), and the
	// variables it needs; "" keeps cc. (The session's internal/extld.)
	Linker func(cc string) (path string, env []string)
}

// Replayer holds the recipe of the last full build and replays it. One
// build at a time.
type Replayer struct {
	// mu guards what follows against the dry run's goroutine, which
	// merges what it learned into the recipe while no build runs (Dry).
	mu   sync.Mutex
	opts Options
	out  string // where replayed archives go: Out, or the store's
	seq  int
	rec  *recipe
	// kept: rec is an earlier session's, and this session has not built
	// yet (store.go).
	kept bool
	// whyNot says why there is no recipe: the last go build failed, or
	// what Learn could not trust.
	whyNot string
	gen    int    // changes with rec: which recipe a dry run is for
	dry    dryRun // the latest dry run's output, from another goroutine (Dry)
}

// New returns a Replayer with no recipe yet: the next full build's trace
// gives it one (Learn).
func New(opts Options) *Replayer {
	return &Replayer{opts: opts, out: opts.Out, whyNot: "the session's first go build has not run yet"}
}

// Build builds the program into bin by replaying the recipe for the
// changed files (absolute paths). With changed nil it is a full build,
// which a replay serves only for the session's first build, with a
// recipe an earlier session kept: the files that changed since that
// recipe's build are the edit. ErrNoReplay, or any other error, means go
// build must run; ctx's error means the replay was cancelled.
func (r *Replayer) Build(ctx context.Context, changed []string, bin string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if changed != nil {
		if len(changed) == 0 {
			return noReplay("a rebuild asked for with no edit")
		}
		return r.build(ctx, changed, bin)
	}
	if !r.kept {
		return noReplay("a full build")
	}
	edited, ok := r.sinceKept()
	if !ok {
		r.kept = false
		return noReplay("the kept recipe's files changed in ways a replay cannot follow")
	}
	err := r.build(ctx, edited, bin)
	if ctx.Err() == nil {
		r.kept = false // built, or left to go build: either way, done
	}
	return err
}

// maxReplayPackages bounds the packages an edit may touch for a replay:
// a save touches one or two, a checkout many, and for many go build is
// faster. maxReplayCompiles bounds the compiles of one replay, the
// importers of a package whose export data changed included: the replay
// compiles one at a time, go build several.
const (
	maxReplayPackages = 3
	maxReplayCompiles = 6
)

// ErrNoReplay means the edit needs go build; it is no failure. The
// errors Build returns wrap it with the reason (noReplay).
var ErrNoReplay = errors.New("replay: needs go build")

// noReplay is ErrNoReplay with why go build must run, for golive -v.
func noReplay(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoReplay, fmt.Sprintf(format, args...))
}

// Learn replaces the recipe with the one go build -x -work printed in
// trace, for a successful build that started at started. Whatever it
// cannot read or trust leaves no recipe: go build runs next.
func (r *Replayer) Learn(trace string, started time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.learn(trace, started, "", "")
}

// LearnLink is Learn for one program of a go build of several (go build
// -o DIR/ with several main packages): link is the action of its link
// (LinkOf), and work a copy of the build's $WORK (ShareWork) that the
// recipe then owns, as each program's recipe forgets its own.
func (r *Replayer) LearnLink(trace string, started time.Time, link, work string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	orig := workOf(trace)
	if orig == "" || link == "" {
		r.forget()
		os.RemoveAll(work)
		return
	}
	trace = strings.Replace(trace, "WORK="+orig+"\n", "WORK="+work+"\n", 1)
	r.learn(strings.ReplaceAll(trace, orig+"/", work+"/"), started, link, orig)
}

// learn is Learn for the link named (see parseTrace); from, when set, is
// the $WORK the import configs name, of which the trace's is a copy.
func (r *Replayer) learn(trace string, started time.Time, link, from string) {
	r.forget()
	rec, err := parseTrace(trace, r.opts.Dir, link, from)
	if err == nil {
		err = r.trust(rec, r.opts.Main, started)
	}
	if err != nil {
		if rec != nil {
			os.RemoveAll(rec.work)
		}
		r.whyNot = strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrNoReplay.Error()+": "), "replay: ")
		return
	}
	r.rec = rec
	r.gen++
}

// trust takes the snapshot of the recipe's inputs and checks that it
// describes what the build read: no input changed after the build
// started. Files are stamped with a coarse clock that lags by up to one
// kernel tick, so a change up to a tick before the start counts too; the
// edit that caused the build is older than that, by golive's quiet
// window. (The edit's own files are no exception: a save of one of them
// during the build, reverted before the quiet window ended, gives no
// batch, and the build may have read it.) With a quiet window shorter
// than the slack (watch.debounce below 10ms), the edit itself looks
// recent, and go build runs every time.
func (r *Replayer) trust(rec *recipe, mainDir string, started time.Time) error {
	mod, err := findModules(r.opts.Dir, r.opts.Env)
	if err != nil {
		return err
	}
	dirs := mod.packageDirs(slices.Sorted(maps.Keys(rec.archives)))
	if !slices.Contains(dirs, mainDir) {
		dirs = append(dirs, mainDir)
	}
	snap, err := takeSnapshot(mod, dirs, nil)
	if err != nil {
		return err
	}
	if snap.changedSince(started.Add(-fileclock.Slack)) {
		return noReplay("an input changed while go build ran")
	}
	rec.mod, rec.dirs, rec.snap = mod, dirs, snap
	return nil
}

// order returns the recipe's packages, each after the packages of the
// recipe it imports (main last: nothing imports it).
func (rec *recipe) order() []*pkg {
	byPath := rec.byPath()
	var order []*pkg
	done := map[*pkg]bool{}
	var visit func(p *pkg)
	visit = func(p *pkg) {
		if done[p] {
			return
		}
		done[p] = true
		for _, imp := range slices.Sorted(maps.Keys(p.imports)) {
			if q := byPath[imp]; q != nil {
				visit(q)
			}
		}
		order = append(order, p)
	}
	for _, path := range slices.Sorted(maps.Keys(byPath)) {
		visit(byPath[path])
	}
	return order
}

// byPath returns the recipe's packages by import path.
func (rec *recipe) byPath() map[string]*pkg {
	byPath := map[string]*pkg{}
	for _, p := range rec.pkgs {
		byPath[p.path] = p
	}
	return byPath
}

func setOf(paths []string) map[string]bool {
	m := make(map[string]bool, len(paths))
	for _, p := range paths {
		m[p] = true
	}
	return m
}

// Forget drops the recipe and the files it kept: after a go build that
// failed or was cancelled, the tree is not what the recipe says.
func (r *Replayer) Forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forget()
}

func (r *Replayer) forget() {
	r.kept, r.whyNot = false, "the last go build failed or was cancelled"
	r.gen++
	if r.rec != nil {
		os.RemoveAll(r.rec.work)
		r.rec = nil
	}
	if r.out != "" {
		os.RemoveAll(r.out)
	}
}

// build replays the recipe for the changed files (absolute paths) into
// bin; with none, it links the recipe's archives again. ErrNoReplay, or
// any other error, means go build must run.
func (r *Replayer) build(ctx context.Context, changed []string, bin string) error {
	r.takeDry()
	r.awaitDry(ctx, changed)
	rec := r.rec
	if rec == nil {
		return noReplay("no recipe: %s", r.whyNot)
	}
	skip := setOf(changed)
	now, err := takeSnapshot(rec.mod, rec.dirs, rec.snap)
	if err != nil {
		return noReplay("stamping the inputs: %v", err)
	}
	if f := rec.snap.differs(now, skip); f != "" {
		return noReplay("%s changed besides the edit", f) // go build finds what it means
	}
	byPkg := map[*pkg][]string{}
	for _, f := range changed {
		if rec.mod.vendored(f) {
			return noReplay("%s is a vendored module's file", filepath.Base(f))
		}
		p := rec.pkgs[f]
		if _, ok := rec.snap.files[f]; p == nil || !ok {
			return noReplay("%s is no file of a package the last go build compiled", filepath.Base(f))
		}
		if err := r.check(f, p); err != nil {
			return err
		}
		byPkg[p] = append(byPkg[p], f)
	}
	if len(byPkg) > maxReplayPackages {
		return noReplay("%d packages edited, more than %d", len(byPkg), maxReplayPackages) // go build compiles them in parallel
	}
	if err := os.MkdirAll(r.out, 0o755); err != nil {
		return err
	}
	if r.opts.Compiling != nil {
		r.opts.Compiling()
	}
	archives, err := r.compileAll(ctx, rec, byPkg)
	if err != nil {
		return err
	}
	if err := r.relink(ctx, rec, archives, bin); err != nil {
		return err
	}
	// A file saved again while it compiled may have been read half old:
	// then only go build may say what the binary is.
	for _, f := range changed {
		if st, err := stampOf(f); err != nil || st != now.files[f] {
			os.Remove(bin)
			r.forget()
			return noReplay("%s was saved again while it compiled", filepath.Base(f))
		}
	}
	r.commit(rec, archives, now, changed)
	return nil
}

// compileAll compiles the edited packages, and then the importers of
// each one whose export data changed, in dependency order, stopping
// where the export data stops changing: what go build would compile. It
// returns the new archives by import path.
func (r *Replayer) compileAll(ctx context.Context, rec *recipe, edited map[*pkg][]string) (map[string]string, error) {
	archives := map[string]string{} // import path -> new archive
	changedExport := map[string]bool{}
	compiles := 0
	for _, p := range rec.order() {
		if len(edited[p]) == 0 && !importsAny(p, changedExport) {
			continue
		}
		if compiles++; compiles > maxReplayCompiles {
			return nil, noReplay("more than %d packages to compile", maxReplayCompiles)
		}
		a, err := r.compile(ctx, rec, p, archives)
		if err != nil {
			return nil, err
		}
		archives[p.path] = a
		if p.path == "main" {
			continue
		}
		same, err := sameExport(rec.archives[p.path], a)
		if err != nil {
			return nil, noReplay("reading export data: %v", err)
		}
		if !same {
			if why := r.cannotRecompileImporters(ctx, rec, p.path); why != "" {
				return nil, noReplay("%s's export data changed, and %s", p.path, why)
			}
			changedExport[p.path] = true
		}
	}
	return archives, nil
}

// cannotRecompileImporters says why not every package that imports path
// is one the recipe compiles (go build would recompile each against
// path's new export data), or returns "".
func (r *Replayer) cannotRecompileImporters(ctx context.Context, rec *recipe, path string) string {
	if r.opts.Importers == nil {
		return "no build graph says who imports it"
	}
	importers, known := r.opts.Importers(ctx, path)
	if !known {
		return "the build graph is not known yet"
	}
	byPath := rec.byPath()
	for _, imp := range importers {
		if byPath[imp] == nil {
			return "its importer " + imp + " was not compiled by the last go build"
		}
	}
	return ""
}

func importsAny(p *pkg, paths map[string]bool) bool {
	for path := range paths {
		if p.imports[path] {
			return true
		}
	}
	return false
}

// compile compiles p into a new archive, against the archives the
// recipe links now and the ones this replay made (archives).
func (r *Replayer) compile(ctx context.Context, rec *recipe, p *pkg, archives map[string]string) (string, error) {
	cfg, err := os.ReadFile(flagValue(p.compile.args, "-importcfg"))
	if err != nil {
		return "", noReplay("the import config of %s is gone", p.path)
	}
	current := maps.Clone(rec.archives)
	maps.Copy(current, archives)
	r.seq++
	cfgPath := filepath.Join(r.out, fmt.Sprintf("importcfg-%d", r.seq))
	if err := os.WriteFile(cfgPath, []byte(rewriteCfg(string(cfg), current)), 0o644); err != nil {
		return "", err
	}
	defer os.Remove(cfgPath)
	a := filepath.Join(r.out, fmt.Sprintf("pkg-%d.a", r.seq))
	return a, r.run(ctx, p.compile.with("-o", a).with("-importcfg", cfgPath))
}

// check reports whether the edited file f still fits p's recorded compile.
func (r *Replayer) check(f string, p *pkg) error {
	name := filepath.Base(f)
	ok, err := r.opts.Context.MatchFile(filepath.Dir(f), name)
	if err != nil || !ok {
		return noReplay("%s is left out by its build constraints now", name)
	}
	src, err := os.ReadFile(f)
	if err != nil {
		return noReplay("%v", err)
	}
	if bytes.Contains(src, []byte("//go:embed")) {
		return noReplay("%s embeds files", name)
	}
	if constraints(src) != p.constraints[f] {
		return noReplay("%s's build constraints changed", name) // go build decides anew which files to compile
	}
	file, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
	if err != nil {
		return noReplay("%s does not parse", name) // go build reports the syntax error
	}
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		switch {
		case err != nil:
			return noReplay("%s does not parse", name)
		case path == "C":
			return noReplay("%s uses cgo", name)
		case !p.imports[path]:
			return noReplay("%s imports %s, new to its package", name, path)
		}
	}
	return nil
}

// relink links the program from the recorded archives with the new ones
// in place; commit makes them the recipe's once the replay holds.
func (r *Replayer) relink(ctx context.Context, rec *recipe, archives map[string]string, bin string) error {
	cfg := rewriteCfg(rec.linkCfg, archives)
	r.seq++
	cfgPath := filepath.Join(r.out, fmt.Sprintf("importcfg-%d.link", r.seq))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	defer os.Remove(cfgPath)
	c := r.throughLinker(rec.link.with("-o", bin).with("-importcfg", cfgPath))
	if a, ok := archives["main"]; ok {
		c.args[len(c.args)-1] = a
	}
	if err := r.run(ctx, c); err != nil {
		os.Remove(bin)
		return err
	}
	rec.nextLinkCfg = cfg
	return nil
}

// throughLinker returns the link c with Options.Linker's C linker named
// for the compiler go build named, which that linker then runs. go build
// names one for every link; only an external link (cgo of the program's
// own) runs it. The link's other arguments stay go build's, and so does
// the binary. A link that names -extld twice, or none, stays as it is.
func (r *Replayer) throughLinker(c command) command {
	if r.opts.Linker == nil {
		return c
	}
	at := -1
	for i, a := range c.args {
		if i > 0 && (a == "-extld" || strings.HasPrefix(a, "-extld=")) {
			if at >= 0 {
				return c
			}
			at = i
		}
	}
	if at < 0 || c.args[at] == "-extld" { // go build writes -extld=cc
		return c
	}
	path, env := r.opts.Linker(strings.TrimPrefix(c.args[at], "-extld="))
	if path == "" {
		return c
	}
	c.args = slices.Clone(c.args)
	c.args[at] = "-extld=" + path
	c.env = append(slices.Clone(c.env), env...)
	return c
}

// Unchanged reports whether the files changed (absolute) are as the last
// replay compiled them: a replay that ended before the edit's quiet
// window did may have compiled a file saved again since, whose event the
// watcher had not yet heard when it ended the burst.
func (r *Replayer) Unchanged(changed []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return false
	}
	for _, f := range changed {
		st, err := stampOf(f)
		if want, ok := r.rec.snap.files[f]; err != nil || !ok || st != want {
			return false
		}
	}
	return true
}

// commit makes a replay's archives, and the stamps of the files they were
// compiled from, the recipe's.
func (r *Replayer) commit(rec *recipe, archives map[string]string, now *snapshot, changed []string) {
	for path, a := range archives {
		if old := rec.archives[path]; strings.HasPrefix(old, r.out) {
			os.Remove(old)
		}
		rec.archives[path] = a
	}
	rec.linkCfg = rec.nextLinkCfg
	if a, ok := archives["main"]; ok {
		rec.link.args[len(rec.link.args)-1] = a
	}
	for _, f := range changed {
		rec.snap.files[f] = now.files[f]
	}
}

func (r *Replayer) run(ctx context.Context, c command) error {
	cmd := exec.Command(c.args[0], c.args[1:]...)
	cmd.Dir = c.dir
	cmd.Env = append(slices.Clone(r.opts.Env), c.env...)
	out, err := runOutput(ctx, cmd)
	if err != nil {
		return fmt.Errorf("replay %s: %w: %s", filepath.Base(c.args[0]), err, out)
	}
	return nil
}

func runOutput(ctx context.Context, cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := procgroup.Run(ctx, cmd)
	return out.Bytes(), err
}

// with returns c with the value of flag replaced.
func (c command) with(flag, value string) command {
	args := slices.Clone(c.args)
	for i := 1; i+1 < len(args); i++ {
		if args[i] == flag {
			args[i+1] = value
		}
	}
	c.args = args
	return c
}

// rewriteCfg points an import config (a compile's or the link's) at the
// archives given for its packages.
func rewriteCfg(cfg string, archives map[string]string) string {
	lines := strings.Split(cfg, "\n")
	for i, l := range lines {
		path, _, ok := strings.Cut(strings.TrimPrefix(l, "packagefile "), "=")
		if !ok || !strings.HasPrefix(l, "packagefile ") {
			continue
		}
		if a, ok := archives[path]; ok {
			lines[i] = "packagefile " + path + "=" + a
		}
	}
	return strings.Join(lines, "\n")
}

// sameExport reports whether two compiled archives export the same API.
func sameExport(a, b string) (bool, error) {
	ea, err := exportData(a)
	if err != nil {
		return false, err
	}
	eb, err := exportData(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ea, eb), nil
}

// exportData returns the export data of a compiled Go archive: the
// __.PKGDEF member from its "$$B" marker on, past the header lines that
// carry the build ID (which go build rewrites after compiling).
func exportData(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, fmt.Errorf("%s: not an archive", file)
	}
	for off := len(magic); off+60 <= len(data); {
		hdr := data[off : off+60]
		size, err := strconv.Atoi(strings.TrimSpace(string(hdr[48:58])))
		if err != nil || off+60+size > len(data) {
			return nil, fmt.Errorf("%s: bad archive header", file)
		}
		body := data[off+60 : off+60+size]
		if strings.TrimSpace(string(hdr[:16])) == "__.PKGDEF" {
			i := bytes.Index(body, []byte("\n$$B\n"))
			if i < 0 {
				return nil, fmt.Errorf("%s: no export data", file)
			}
			return body[i:], nil
		}
		off += 60 + size + size&1
	}
	return nil, fmt.Errorf("%s: no export data", file)
}

// constraints returns the //go:build and // +build lines of a Go file,
// which come before its package clause.
func constraints(src []byte) string {
	var b strings.Builder
	for len(src) > 0 {
		line, rest, _ := bytes.Cut(src, []byte("\n"))
		src = rest
		l := bytes.TrimSpace(line)
		if bytes.HasPrefix(l, []byte("package ")) {
			break
		}
		if bytes.HasPrefix(l, []byte("//go:build")) || bytes.HasPrefix(l, []byte("// +build")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
