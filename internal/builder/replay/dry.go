package replay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// A go build after which the build cache held every package compiles
// nothing, and its trace teaches the recipe no compile: the first edit
// of each package would be a go build. So after such a build the go
// command's dry run (go build -a -n, the same arguments) is asked, off
// the save path, for the compile of every package; the recipe takes
// those of the local modules' packages it lacks, with import configs
// pointing at the archives it links (Dry, then Build merges). An edit of
// such a package saved before the dry run answers waits for it
// (awaitDry).

// DryArgs returns the go build arguments of the dry run for the build
// whose arguments are args (go build's own, "build" first).
func DryArgs(args []string) []string {
	return append([]string{"build", "-a", "-n"}, args[1:]...)
}

// dryRun is a dry run's compiles for one recipe (gen), read from its
// output by Dry, off the save path: the output of a whole build's dry
// run is thousands of lines.
type dryRun struct {
	mu     sync.Mutex
	gen    int
	parsed *dryCompiles
	// running is the generation of the dry run that runs (DryStarted),
	// and ended is closed when it ends (DryEnded); nil when none runs.
	running int
	ended   chan struct{}
}

// dryCompiles is what a dry run printed that a recipe may take: each
// compile of a package outside the standard library whose import config
// it printed, with its directory.
type dryCompiles struct {
	compiles []command
	dirs     []string // each compile's package directory
	cfgs     map[string]string
}

// Missing reports whether the recipe lacks the compile of a local
// package it links: then a dry run (Dry) can teach it. Its generation
// goes with the answer.
func (r *Replayer) Missing() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return r.gen, false
	}
	return r.gen, len(r.rec.teachable()) > 0
}

// teachable returns the package directories of the build whose compile
// the recipe lacks and a dry run may teach.
func (rec *recipe) teachable() map[string]bool {
	dirs := setOf(rec.dirs)
	for f := range rec.pkgs {
		delete(dirs, filepath.Dir(f))
	}
	for d := range rec.untaught {
		delete(dirs, d)
	}
	return dirs
}

// Dry hands over the output of the dry run asked for the recipe of
// generation gen (Missing); the next Build takes what it teaches. Any
// goroutine may call it.
func (r *Replayer) Dry(gen int, output string) {
	parsed := parseDry(output)
	r.dry.mu.Lock()
	r.dry.gen, r.dry.parsed = gen, parsed
	r.dry.mu.Unlock()
	// Merged now, off the save path, unless a build runs: then that
	// build's successor takes it. (Writing the import configs and reading
	// the packages' files took 12-14 ms of a session's first save here.)
	if r.mu.TryLock() {
		r.takeDry()
		r.mu.Unlock()
	}
}

// DryStarted says that a dry run for the recipe of generation gen runs
// (Missing): until DryEnded, an edit of a package the recipe lacks waits
// for its answer rather than go to go build, which would load the same
// packages beside it.
func (r *Replayer) DryStarted(gen int) {
	r.dry.mu.Lock()
	defer r.dry.mu.Unlock()
	if r.dry.ended != nil {
		close(r.dry.ended)
	}
	r.dry.running, r.dry.ended = gen, make(chan struct{})
}

// DryEnded says that the dry run of generation gen ended, its output
// handed over (Dry) or not (it failed, or was stopped).
func (r *Replayer) DryEnded(gen int) {
	r.dry.mu.Lock()
	defer r.dry.mu.Unlock()
	if r.dry.ended != nil && r.dry.running == gen {
		close(r.dry.ended)
		r.dry.ended = nil
	}
}

// awaitDry waits, where an edited file is of a package of the build that
// the recipe lacks and a dry run for the recipe runs, for that dry run
// to end (or ctx: a newer save), and then takes what it taught. Called
// with mu held; Dry needs only dry.mu.
func (r *Replayer) awaitDry(ctx context.Context, changed []string) {
	if !r.lacksAny(changed) {
		return
	}
	r.dry.mu.Lock()
	ended := r.dry.ended
	if r.dry.running != r.gen {
		ended = nil
	}
	r.dry.mu.Unlock()
	if ended != nil {
		select {
		case <-ended:
		case <-ctx.Done():
			return
		}
	}
	r.takeDry() // also an answer that came since build's first take
}

// lacksAny reports whether a changed Go file is in a package directory
// of the build whose compile the recipe lacks and a dry run may teach.
func (r *Replayer) lacksAny(changed []string) bool {
	rec := r.rec
	if rec == nil {
		return false
	}
	var teachable map[string]bool
	for _, f := range changed {
		// Only a Go file the last build read: a new one goes to go build.
		_, read := rec.snap.files[f]
		if !read || !strings.HasSuffix(f, ".go") || rec.pkgs[f] != nil {
			continue
		}
		if teachable == nil {
			teachable = rec.teachable()
		}
		if teachable[filepath.Dir(f)] {
			return true
		}
	}
	return false
}

// takeDry adds to the recipe the compiles a dry run for it printed, of
// the packages of its local modules it lacks.
func (r *Replayer) takeDry() {
	r.dry.mu.Lock()
	gen, parsed := r.dry.gen, r.dry.parsed
	r.dry.parsed = nil
	r.dry.mu.Unlock()
	if parsed == nil || gen != r.gen || r.rec == nil {
		return
	}
	r.rec.addDry(parsed)
}

// addDry takes a dry run's compiles of the packages the recipe lacks,
// each with its import config written into the recipe's work directory,
// every package file pointing at the archive the recipe links. A
// package with a dependency the link does not hold is left out.
func (rec *recipe) addDry(d *dryCompiles) {
	want := map[string]bool{}
	for _, dir := range rec.dirs {
		want[dir] = true
	}
	for f := range rec.pkgs {
		delete(want, filepath.Dir(f))
	}
	for i, c := range d.compiles {
		if !want[d.dirs[i]] {
			continue
		}
		if c, ok := rec.dryCompile(c, d.cfgs[c.action]); ok {
			rec.addCompile(c)
		}
	}
	for f := range rec.pkgs {
		delete(want, filepath.Dir(f))
	}
	if rec.untaught == nil {
		rec.untaught = map[string]bool{}
	}
	for dir := range want {
		rec.untaught[dir] = true
	}
}

// parseDry reads a dry run's output: each compile, its directory and its
// import config (printed as a here-document). A package whose build runs
// another tool is left out, as parseTrace does.
func parseDry(output string) *dryCompiles {
	cfgs := map[string]string{} // action -> import config text
	other := map[string]bool{}
	var compiles []command
	var dirs []string // each compile's package directory
	cwd := ""
	lines := strings.Split(output, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case isEchoCfg(l):
			// An import config with no import is written by echo alone.
			cfgs[actionOf(l)] = "# import config\n"
			continue
		case isHeredoc(l):
			action := actionOf(l)
			var body []string
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
				body = append(body, lines[i])
			}
			if strings.HasSuffix(strings.Fields(l)[1], "/importcfg") {
				cfgs[action] = strings.Join(body, "\n") + "\n"
			}
			continue
		case strings.HasPrefix(l, "cd "):
			cwd = strings.TrimPrefix(l, "cd ")
			continue
		}
		c, ok := parseCommand(l, "$WORK")
		if !ok {
			continue
		}
		c.dir, c.action = cwd, actionOf(l)
		switch tool := filepath.Base(c.args[0]); {
		case tool == "compile":
			// The go command may compile from the module's root, naming the
			// files by paths below it: their directory is the package's.
			if files := sourceFiles(c.args, c.dir); len(files) > 0 {
				compiles = append(compiles, c)
				dirs = append(dirs, filepath.Dir(files[0]))
			}
		case tool == "link", shellCommand(tool):
		case tool == "go" && len(c.args) > 2 && c.args[1] == "tool" && c.args[2] == "buildid":
		default:
			other[c.action] = true
		}
	}
	d := &dryCompiles{cfgs: cfgs}
	for i, c := range compiles {
		if _, ok := cfgs[c.action]; ok && !other[c.action] {
			d.compiles = append(d.compiles, c)
			d.dirs = append(d.dirs, dirs[i])
		}
	}
	return d
}

// isEchoCfg reports the line of a dry run that writes a package's import
// config with nothing in it but its header.
func isEchoCfg(l string) bool {
	return strings.HasPrefix(l, "echo '# import config' > ") && strings.HasSuffix(strings.TrimSuffix(l, " # internal"), "/importcfg")
}

// dryCompile makes a dry run's compile one the recipe can run: its
// import config written into the recipe's work directory, pointing at
// the linked archives, and no $WORK left in its arguments.
func (rec *recipe) dryCompile(c command, cfg string) (command, bool) {
	var out []string
	for _, l := range strings.Split(cfg, "\n") {
		if rest, ok := strings.CutPrefix(l, "packagefile "); ok {
			path, _, _ := strings.Cut(rest, "=")
			a := rec.archives[path]
			if a == "" {
				return c, false // a dependency the link does not hold
			}
			l = "packagefile " + path + "=" + a
		}
		out = append(out, l)
	}
	dir := filepath.Join(rec.work, "dry", strings.Trim(strings.TrimPrefix(c.action, "$WORK/"), "/"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, false
	}
	cfgPath := filepath.Join(dir, "importcfg")
	if err := os.WriteFile(cfgPath, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		return c, false
	}
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "$WORK/", rec.work+string(filepath.Separator)+"dry"+string(filepath.Separator))
	}
	c.args = args
	c = c.with("-importcfg", cfgPath)
	for _, a := range c.args {
		if strings.Contains(a, "$WORK") {
			return c, false
		}
	}
	c.action = fmt.Sprintf("dry:%s", c.action)
	return c, true
}
