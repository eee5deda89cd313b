package watcher

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
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
	warn func(error)

	mu      sync.Mutex
	cmd     *exec.Cmd
	in      io.WriteCloser
	pipe    *os.File // git's stdout, read with a deadline
	out     *bufio.Reader
	stderr  bytes.Buffer
	off     bool // git is missing, root is in no repository, or git failed
	started bool
}

// gitAnswer is how long golive waits for git's answer about one path:
// a git that does not answer turns the filter off rather than hang the
// watcher.
const gitAnswer = 5 * time.Second

func newGitIgnore(root string, warn func(error)) *gitIgnore {
	if warn == nil {
		warn = func(error) {}
	}
	return &gitIgnore{root: root, warn: warn}
}

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
	// "./" first: a name that starts with ":" is never pathspec magic.
	if _, err := io.WriteString(g.in, "./"+rel+"\x00"); err != nil {
		g.fail(err)
		return false
	}
	// Four fields: source, line, pattern, path; all but the path empty
	// when nothing matched. A pattern with "!" matched to un-ignore.
	g.pipe.SetReadDeadline(time.Now().Add(gitAnswer))
	var fields [4]string
	for i := range fields {
		f, err := g.out.ReadString(0)
		if err != nil {
			g.fail(err)
			return false
		}
		fields[i] = strings.TrimSuffix(f, "\x00")
	}
	return fields[0] != "" && !strings.HasPrefix(fields[2], "!")
}

// fail turns the filter off for the session, saying why unless git only
// found no repository (then there is no .gitignore to apply).
func (g *gitIgnore) fail(err error) {
	g.stop(true)
	msg := strings.TrimSpace(g.stderr.String())
	if strings.Contains(msg, "not a git repository") {
		return
	}
	if msg == "" {
		msg = err.Error()
	}
	g.warn(fmt.Errorf("watch: git check-ignore stopped (%s); .gitignore is no longer applied", firstLine(msg)))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// start runs git check-ignore; a git that is missing or that refuses
// (no repository) turns the matcher off.
func (g *gitIgnore) start() {
	g.started = true
	cmd := exec.Command("git", "check-ignore", "--stdin", "-z", "--non-matching", "--verbose")
	cmd.Dir = g.root
	// Each answer flushed at once, whatever the user's GIT_FLUSH.
	cmd.Env = append(cmd.Environ(), "GIT_FLUSH=1")
	g.stderr.Reset()
	cmd.Stderr = &g.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		g.off = true
		return
	}
	r, w, err := os.Pipe()
	if err != nil {
		in.Close()
		g.off = true
		return
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		g.off = true
		return
	}
	g.cmd, g.in, g.pipe, g.out = cmd, in, r, bufio.NewReader(r)
}

// stop ends git check-ignore; off says whether to ask no more (it failed).
func (g *gitIgnore) stop(off bool) {
	if g.cmd != nil {
		g.in.Close()
		g.cmd.Process.Kill()
		g.cmd.Wait()
		g.pipe.Close()
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

// isOff reports whether the filter turned off.
func (g *gitIgnore) isOff() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.off
}

// close ends git check-ignore for good.
func (g *gitIgnore) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stop(true)
}
