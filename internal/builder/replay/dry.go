package replay

import (
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
// pointing at the archives it links (Dry, then Build merges).

// DryArgs returns the go build arguments of the dry run for the build
// whose arguments are args (go build's own, "build" first).
func DryArgs(args []string) []string {
	return append([]string{"build", "-a", "-n"}, args[1:]...)
}

// dryRun is a dry run's output for one recipe (gen).
type dryRun struct {
	mu     sync.Mutex
	gen    int
	output string
}

// Missing reports whether the recipe lacks the compile of a local
// package it links: then a dry run (Dry) can teach it. Its generation
// goes with the answer.
func (r *Replayer) Missing() (int, bool) {
	rec := r.rec
	if rec == nil {
		return r.gen, false
	}
	have := map[string]bool{}
	for f := range rec.pkgs {
		have[filepath.Dir(f)] = true
	}
	for _, d := range rec.dirs {
		if !have[d] && !rec.untaught[d] {
			return r.gen, true
		}
	}
	return r.gen, false
}

// Dry hands over the output of the dry run asked for the recipe of
// generation gen (Missing); the next Build takes what it teaches. Any
// goroutine may call it.
func (r *Replayer) Dry(gen int, output string) {
	r.dry.mu.Lock()
	defer r.dry.mu.Unlock()
	r.dry.gen, r.dry.output = gen, output
}

// takeDry adds to the recipe the compiles a dry run for it printed, of
// the packages of its local modules it lacks.
func (r *Replayer) takeDry() {
	r.dry.mu.Lock()
	gen, output := r.dry.gen, r.dry.output
	r.dry.output = ""
	r.dry.mu.Unlock()
	if output == "" || gen != r.gen || r.rec == nil {
		return
	}
	r.rec.addDry(output)
}

// addDry reads a dry run's output: each compile, its directory and its
// import config (printed as a here-document), written into the recipe's
// work directory with every package file pointing at the archive the
// recipe links. A package whose build runs another tool, or with a
// dependency the link does not hold, is left out, as parseTrace does.
func (rec *recipe) addDry(output string) {
	want := map[string]bool{}
	for _, d := range rec.dirs {
		want[d] = true
	}
	for f := range rec.pkgs {
		delete(want, filepath.Dir(f))
	}
	cfgs := map[string]string{} // action -> import config text
	other := map[string]bool{}
	var compiles []command
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
			if files := sourceFiles(c.args, c.dir); len(files) > 0 && want[filepath.Dir(files[0])] {
				compiles = append(compiles, c)
			}
		case tool == "link", shellCommand(tool):
		case tool == "go" && len(c.args) > 2 && c.args[1] == "tool" && c.args[2] == "buildid":
		default:
			other[c.action] = true
		}
	}
	for _, c := range compiles {
		cfg, ok := cfgs[c.action]
		if !ok || other[c.action] {
			continue
		}
		if c, ok := rec.dryCompile(c, cfg); ok {
			rec.addCompile(c)
		}
	}
	for f := range rec.pkgs {
		delete(want, filepath.Dir(f))
	}
	if rec.untaught == nil {
		rec.untaught = map[string]bool{}
	}
	for d := range want {
		rec.untaught[d] = true
	}
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
