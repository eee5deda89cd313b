package replay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// parseTrace reads what go build -x -work printed for a successful build
// run in dir: the compile of every package it compiled and the link. A
// package whose build ran any other tool (cgo, asm, cover) or compiled a
// generated file is left out: only go build knows how to redo those. The
// recipe it returns, even with an error, owns the kept $WORK. link names
// the action of the program's link in a build of several programs (go
// build -o DIR/ with several main packages); "" takes the one link. from,
// when set, is the $WORK the import configs name, of which the trace's
// is a copy (LearnLink).
func parseTrace(trace, dir, link, from string) (*recipe, error) {
	rec := &recipe{pkgs: map[string]*pkg{}, archives: map[string]string{}}
	cwd := dir
	other := map[string]bool{} // actions ($WORK/bNNN) where another tool ran
	var compiles []command
	lines := strings.Split(trace, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "WORK="):
			rec.work = strings.Clone(strings.TrimPrefix(l, "WORK="))
			continue
		case rec.work == "":
			continue
		case isHeredoc(l):
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
			}
			continue
		case strings.HasPrefix(l, "cd "):
			cwd = strings.Clone(strings.TrimPrefix(l, "cd "))
			if cwd == "." {
				cwd = dir
			}
			continue
		}
		c, ok := parseCommand(l, rec.work)
		if !ok {
			continue
		}
		c.dir = cwd
		c.action = actionOf(l)
		switch tool := filepath.Base(c.args[0]); {
		case tool == "compile":
			compiles = append(compiles, c)
		case tool == "link":
			if link == "" || c.action == link {
				rec.link = c
			}
		case tool == "go" && len(c.args) > 2 && c.args[1] == "tool" && c.args[2] == "buildid":
			// stamps the build ID into an archive: nothing a replay needs
		case shellCommand(tool):
		default:
			other[c.action] = true // asm, cgo, cover, pack, a C compiler
		}
	}
	if rec.work == "" {
		return nil, errors.New("replay: no WORK in the trace")
	}
	if len(rec.link.args) == 0 {
		return rec, errors.New("replay: no link in the trace")
	}
	cfg, err := os.ReadFile(flagValue(rec.link.args, "-importcfg"))
	if err != nil {
		return rec, err
	}
	rec.linkCfg = string(cfg)
	if from != "" {
		rec.linkCfg = strings.ReplaceAll(rec.linkCfg, from+"/", rec.work+"/")
	}
	for _, l := range strings.Split(rec.linkCfg, "\n") {
		if rest, ok := strings.CutPrefix(l, "packagefile "); ok {
			if path, file, ok := strings.Cut(rest, "="); ok {
				rec.archives[path] = file
			}
		}
	}
	for _, c := range compiles {
		if c.action == "" || other[c.action] {
			continue
		}
		// In a build of several programs: another one's main, or another
		// one's compile of a package (with another profile, under PGO).
		switch path := flagValue(c.args, "-p"); {
		case path == "main" && c.action != rec.link.action:
			continue
		case path != "main" && rec.archives[path] != flagValue(c.args, "-o"):
			continue
		}
		rec.addCompile(c)
	}
	return rec, nil
}

// workOf returns the $WORK a trace names, or "".
func workOf(trace string) string {
	for _, l := range strings.Split(trace, "\n") {
		if w, ok := strings.CutPrefix(l, "WORK="); ok {
			return w
		}
	}
	return ""
}

// ShareWork copies the $WORK of a go build of several programs into a
// new directory in dir, by hard links (a copy where links fail), for one
// program's recipe (LearnLink): each recipe removes its own.
func ShareWork(work, dir string) (string, error) {
	dst, err := os.MkdirTemp(dir, "go-build-shared")
	if err != nil {
		return "", err
	}
	err = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(work, p) // p is below work
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if os.Link(p, to) == nil {
			return nil
		}
		return copyFile(p, to)
	})
	if err != nil {
		os.RemoveAll(dst)
		return "", fmt.Errorf("copy go build's work directory: %w", err)
	}
	return dst, nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// LinkOf returns the action ($WORK/bNNN/) of the link whose program go
// build -x moved (or copied) to out, as its trace says, or "".
func LinkOf(trace, out string) string {
	for _, l := range strings.Split(trace, "\n") {
		if !strings.HasPrefix(l, "mv ") && !strings.HasPrefix(l, "cp ") {
			continue
		}
		if c, ok := parseCommand(l, "$WORK"); ok && len(c.args) == 3 && c.args[2] == out && strings.HasSuffix(c.args[1], "/exe/a.out") {
			return actionOf(l)
		}
	}
	return ""
}

// actionRE finds the $WORK/bNNN directory of one go build action: every
// command of one package's build names it.
var actionRE = regexp.MustCompile(`\$WORK/b[0-9]+/`)

func actionOf(line string) string { return actionRE.FindString(line) }

func isHeredoc(l string) bool {
	return strings.HasPrefix(l, "cat >") && strings.HasSuffix(strings.TrimSuffix(l, " # internal"), "<< 'EOF'")
}

// shellCommand reports the file commands go build -x prints for what it
// does itself.
func shellCommand(name string) bool {
	switch name {
	case "mkdir", "cp", "mv", "rm", "echo", "touch", "cat", "ln", "chmod":
		return true
	}
	return false
}

// addCompile records a package's compile, unless it compiled a file that
// go build generated (cgo, cover) or used a config only go build writes.
func (rec *recipe) addCompile(c command) {
	for _, f := range []string{"-embedcfg", "-asmhdr", "-symabis"} {
		if flagValue(c.args, f) != "" {
			return
		}
	}
	path := flagValue(c.args, "-p")
	cfg, err := os.ReadFile(flagValue(c.args, "-importcfg"))
	if path == "" || err != nil || readsWork(c.args, rec.work) {
		return
	}
	files := sourceFiles(c.args, c.dir)
	for _, f := range files {
		if strings.HasPrefix(f, rec.work) {
			return
		}
	}
	if path != "main" && rec.archives[path] == "" {
		return // not linked into the program
	}
	p := &pkg{path: path, compile: c, imports: map[string]bool{}, constraints: map[string]string{}}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return
		}
		p.constraints[f] = constraints(src)
	}
	for _, l := range strings.Split(string(cfg), "\n") {
		for _, prefix := range []string{"packagefile ", "importmap "} {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				if from, _, ok := strings.Cut(rest, "="); ok {
					p.imports[from] = true
				}
			}
		}
	}
	for _, f := range files {
		rec.pkgs[f] = p
	}
}

// readsWork reports whether a compile reads a file of go build's $WORK
// besides its import config (a -pgoprofile go build made): the kept
// recipe keeps no such file.
func readsWork(args []string, work string) bool {
	for i := 1; i < len(args); i++ {
		switch args[i-1] {
		case "-o", "-importcfg", "-trimpath":
			continue
		}
		if strings.Contains(args[i], work) {
			return true
		}
	}
	return false
}

// sourceFiles returns the absolute paths of the .go files at the end of a
// compile's arguments.
func sourceFiles(args []string, dir string) []string {
	var files []string
	for i := len(args) - 1; i > 0 && strings.HasSuffix(args[i], ".go") && !strings.HasPrefix(args[i], "-"); i-- {
		f := args[i]
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		files = append(files, filepath.Clean(f))
	}
	return files
}

func flagValue(args []string, flag string) string {
	for i := 1; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// parseCommand splits one command line the way go build -x quotes it:
// arguments in Go's double quotes where needed, environment variables
// before the command in single quotes, and $WORK for the work directory.
func parseCommand(l, work string) (command, bool) {
	var c command
	for l = strings.TrimSpace(l); l != ""; l = strings.TrimLeft(l, " ") {
		var tok string
		switch {
		case l[0] == '"':
			end := closingQuote(l)
			if end < 0 {
				return c, false
			}
			s, err := strconv.Unquote(l[:end+1])
			if err != nil {
				return c, false
			}
			tok, l = s, l[end+1:]
		case l[0] == '#':
			l = "" // "# internal": a note, not an argument
			continue
		default:
			end := strings.IndexByte(l, ' ')
			if end < 0 {
				end = len(l)
			}
			tok, l = l[:end], l[end:]
			if k, v, ok := strings.Cut(tok, "='"); ok && len(c.args) == 0 {
				// KEY='value' before the command; value may hold spaces.
				rest := v + l
				j := strings.IndexByte(rest, '\'')
				if j < 0 {
					return c, false
				}
				c.env = append(c.env, k+"="+rest[:j])
				l = rest[j+1:]
				continue
			}
		}
		// Cloned: the recipe outlives the trace, which can be large.
		c.args = append(c.args, strings.Clone(strings.ReplaceAll(tok, "$WORK", work)))
	}
	return c, len(c.args) > 0
}

// closingQuote returns the index of the quote that ends the Go string at
// the start of s, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// SplitTrace separates what go build -x printed about its own commands
// from the rest of its output (diagnostics, warnings), and returns the
// work directory it named.
func SplitTrace(out string) (rest, work string) {
	var kept []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case work == "" && strings.HasPrefix(l, "WORK="):
			work = strings.TrimPrefix(l, "WORK=")
			continue
		case work == "":
		case isHeredoc(l):
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
			}
			continue
		case strings.HasPrefix(l, "cd "):
			continue
		default:
			if c, ok := parseCommand(l, work); ok && isTool(c.args[0]) {
				continue
			}
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "\n"), work
}

// isTool reports whether go build -x prints name as a command it runs.
func isTool(name string) bool {
	if strings.Contains(filepath.ToSlash(name), "/pkg/tool/") {
		return true
	}
	switch base := filepath.Base(name); base {
	case "go", "gcc", "clang", "cc", "g++", "clang++", "ar":
		return true
	default:
		return shellCommand(base)
	}
}
