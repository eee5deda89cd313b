package watcher

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// gitIgnore answers whether git ignores a path, by asking git itself:
// one `git check-ignore --stdin` per watcher, fed one path at a time
// over a pipe (it answers each at once). git is the matcher that defines
// the semantics (nested .gitignore files, negation, directory-only
// patterns, .git/info/exclude, core.excludesFile), so golive matches
// nothing by hand. git reads each .gitignore once, so a change of one
// restarts it (reset). Outside a repository, or without git, nothing is
// ignored. It is safe for concurrent use: the filter runs on the
// watcher's goroutine and on the build graph's.
type gitIgnore struct {
	root string

	mu      sync.Mutex
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	off     bool // git is missing, or root is in no repository
	started bool
}

func newGitIgnore(root string) *gitIgnore { return &gitIgnore{root: root} }

// ignored reports whether git ignores rel (slash-separated, under root).
func (g *gitIgnore) ignored(rel string) bool {
	if rel == "." || rel == "" || strings.HasPrefix(rel, "../") || strings.ContainsRune(rel, 0) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.started {
		g.start()
	}
	if g.off {
		return false
	}
	if _, err := io.WriteString(g.in, rel+"\x00"); err != nil {
		g.stop(true)
		return false
	}
	// Four fields: source, line, pattern, path; all but the path empty
	// when nothing matched. A pattern with "!" matched to un-ignore.
	var fields [4]string
	for i := range fields {
		f, err := g.out.ReadString(0)
		if err != nil {
			g.stop(true)
			return false
		}
		fields[i] = strings.TrimSuffix(f, "\x00")
	}
	return fields[0] != "" && !strings.HasPrefix(fields[2], "!")
}

// start runs git check-ignore; a git that is missing or that refuses
// (no repository) turns the matcher off.
func (g *gitIgnore) start() {
	g.started = true
	cmd := exec.Command("git", "check-ignore", "--stdin", "-z", "--non-matching", "--verbose")
	cmd.Dir = g.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		g.off = true
		return
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		g.off = true
		return
	}
	if err := cmd.Start(); err != nil {
		g.off = true
		return
	}
	g.cmd, g.in, g.out = cmd, in, bufio.NewReader(out)
}

// stop ends git check-ignore; off says whether to ask no more (it failed).
func (g *gitIgnore) stop(off bool) {
	if g.cmd != nil {
		g.in.Close()
		g.cmd.Process.Kill()
		g.cmd.Wait()
		g.cmd = nil
	}
	g.off = g.off || off
}

// reset makes the next question start a new git, which reads the
// .gitignore files again.
func (g *gitIgnore) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.off {
		return
	}
	g.stop(false)
	g.started = false
}

// close ends git check-ignore for good.
func (g *gitIgnore) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stop(true)
}
