//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// handBuild is what an edit physically costs the toolchain: the compile
// and link commands go build ran for it, taken once from its -x -work
// trace and run again by hand in every round, reading the import configs
// and archives that build's kept work directory holds. The shapes
// scenario's compile-and-link floor.
type handBuild struct {
	work     string
	compiles []toolCmd // in go build's order: a package after its imports
	link     toolCmd
}

// toolCmd is one command of go build's trace.
type toolCmd struct {
	dir  string
	env  []string // KEY=value pairs the trace sets before the command
	args []string
}

// captureHandBuild runs go build -x -work with flags in dir, just after a
// save of the file edited, into bin. It keeps the compile of the edited
// file's package and, with importers, every other compile go build ran
// (the packages it recompiled because an import changed), then the link,
// which it points at bin. gotmp is go's GOTMPDIR: the work directory stays
// there.
func (b *bench) captureHandBuild(dir string, flags []string, edited string, importers bool, gotmp, bin string) (*handBuild, error) {
	args := append([]string{"build", "-x", "-work", "-o", bin}, flags...)
	args = append(args, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = childEnv(b.keepGOFLAGS, "GOTMPDIR="+gotmp)
	out, err := b.runProc(cmd)
	if err != nil {
		return nil, fmt.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	h, err := parseHandBuild(out, dir, edited, importers)
	if err != nil {
		return nil, fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	for i, a := range h.link.args {
		if a == "-o" && i+1 < len(h.link.args) {
			h.link.args[i+1] = bin
		}
	}
	return h, nil
}

// parseHandBuild reads the trace of go build -x -work run in dir: the
// compiles to keep (edited's package's, or with importers every one) and
// the link.
func parseHandBuild(trace, dir, edited string, importers bool) (*handBuild, error) {
	h := &handBuild{}
	file, err := os.Stat(edited)
	if err != nil {
		return nil, err
	}
	reads := func(c toolCmd) bool {
		return slices.ContainsFunc(c.sources(), func(f string) bool {
			st, err := os.Stat(f)
			return err == nil && os.SameFile(st, file)
		})
	}
	cwd := dir
	lines := strings.Split(trace, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSuffix(lines[i], " # internal")
		switch {
		case strings.HasPrefix(l, "WORK="):
			h.work = strings.TrimPrefix(l, "WORK=")
		case h.work == "":
		case strings.HasPrefix(l, "cat >") && strings.HasSuffix(l, "<< 'EOF'"):
			for i++; i < len(lines) && lines[i] != "EOF"; i++ { // a file go build writes itself
			}
		case strings.HasPrefix(l, "cd "):
			if cwd = strings.TrimPrefix(l, "cd "); cwd == "." {
				cwd = dir
			}
		default:
			c, ok := splitTraceCommand(l, h.work)
			if !ok {
				continue
			}
			c.dir = cwd
			switch filepath.Base(c.args[0]) {
			case "compile":
				if importers || reads(c) {
					h.compiles = append(h.compiles, c)
				}
			case "link":
				h.link = c
			}
		}
	}
	switch {
	case h.work == "":
		return nil, errors.New("no WORK= in the -x trace")
	case len(h.link.args) == 0:
		return nil, errors.New("no link in the -x trace")
	case !slices.ContainsFunc(h.compiles, reads):
		return nil, fmt.Errorf("no compile of %s in the -x trace", edited)
	}
	return h, nil
}

// sources returns the paths of the .go files a compile reads: its last
// arguments.
func (c toolCmd) sources() []string {
	var files []string
	for i := len(c.args) - 1; i > 0 && strings.HasSuffix(c.args[i], ".go"); i-- {
		f := c.args[i]
		if !filepath.IsAbs(f) {
			f = filepath.Join(c.dir, f)
		}
		files = append(files, filepath.Clean(f))
	}
	return files
}

// splitTraceCommand splits one line of go build -x as the go command
// quotes it: KEY='value' pairs before the command, arguments in Go's
// double quotes where needed, $WORK for the work directory.
func splitTraceCommand(l, work string) (toolCmd, bool) {
	var c toolCmd
	for l = strings.TrimSpace(l); l != ""; l = strings.TrimLeft(l, " ") {
		var tok string
		switch {
		case l[0] == '"':
			end := 1
			for end < len(l) && l[end] != '"' {
				if l[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(l) {
				return c, false
			}
			s, err := strconv.Unquote(l[:end+1])
			if err != nil {
				return c, false
			}
			tok, l = s, l[end+1:]
		default:
			end := strings.IndexByte(l, ' ')
			if end < 0 {
				end = len(l)
			}
			tok, l = l[:end], l[end:]
			if k, v, ok := strings.Cut(tok, "='"); ok && len(c.args) == 0 {
				rest := v + l // the value may hold spaces
				j := strings.IndexByte(rest, '\'')
				if j < 0 {
					return c, false
				}
				c.env = append(c.env, k+"="+rest[:j])
				l = rest[j+1:]
				continue
			}
		}
		c.args = append(c.args, strings.ReplaceAll(tok, "$WORK", work))
	}
	return c, len(c.args) > 0
}

// run runs the compiles, then the link, each in its directory with go's
// environment, and returns how long they took together.
func (h *handBuild) run(b *bench) (time.Duration, error) {
	start := time.Now()
	for _, c := range append(slices.Clone(h.compiles), h.link) {
		cmd := exec.Command(c.args[0], c.args[1:]...)
		cmd.Dir = c.dir
		cmd.Env = childEnv(b.keepGOFLAGS, c.env...)
		if out, err := b.runProc(cmd); err != nil {
			return 0, fmt.Errorf("%s in %s: %v\n%s", filepath.Base(c.args[0]), c.dir, err, out)
		}
	}
	return time.Since(start), nil
}

// packages names the packages the hand build compiles, by their -p flag.
func (h *handBuild) packages() []string {
	var out []string
	for _, c := range h.compiles {
		for i := 1; i+1 < len(c.args); i++ {
			if c.args[i] == "-p" {
				out = append(out, c.args[i+1])
			}
		}
	}
	return out
}
