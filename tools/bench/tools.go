//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// watcherTool is golive or a peer, watching its own copy of the fixture
// and serving it on its own port.
type watcherTool struct {
	name    string // golive, air, or a -peer name
	setting string // default, delay 0, ...
	fx      *fixture
	port    int
	c       *client
	argv    []string  // the command; peers run under sh -c
	events  *eventLog // golive only
	starts  string    // the program's start log
	ready   string    // the path launch polls for the first answer; "" is /version
	logPath string
	p       *proc
}

func (t *watcherTool) label() string {
	if t.setting == "" {
		return t.name
	}
	return t.name + " (" + t.setting + ")"
}

func (t *watcherTool) isGolive() bool { return t.events != nil }

// launch starts the tool and waits for the program's first answer. It
// returns when it launched the tool and when the first answer came.
func (t *watcherTool) launch(ctx context.Context, b *bench, timeout time.Duration) (launched, answered time.Time, err error) {
	out, err := logFile(b.work, "log-"+sanitize(t.label())+".txt")
	if err != nil {
		return launched, answered, err
	}
	defer out.Close()
	t.logPath = filepath.Join(b.work, "log-"+sanitize(t.label())+".txt")
	cmd := exec.Command(t.argv[0], t.argv[1:]...)
	cmd.Dir = t.fx.dir
	cmd.Env = childEnv(b.keepGOFLAGS, fmt.Sprintf("PORT=%d", t.port), "BENCH_STARTLOG="+t.starts)
	cmd.Stdout, cmd.Stderr = out, out
	launched = time.Now()
	t.p, err = startProc(cmd)
	if err != nil {
		return launched, answered, fmt.Errorf("start %s: %w", t.label(), err)
	}
	ready := t.ready
	if ready == "" {
		ready = "/version"
	}
	answered, err = t.c.waitFor(ctx, ready, "", timeout, nil)
	if err != nil {
		if t.p.exited() {
			return launched, answered, fmt.Errorf("%s exited before its program answered (%v); see %s", t.label(), t.p.err, t.logPath)
		}
		return launched, answered, fmt.Errorf("%s: %w; see %s", t.label(), err, t.logPath)
	}
	return launched, answered, nil
}

// shutdown stops the tool as a user does (Ctrl-C), then makes sure
// nothing of its tree is left and its port is free.
func (t *watcherTool) shutdown() error {
	if t.p == nil {
		return nil
	}
	t.p.stop(syscall.SIGINT, 5*time.Second)
	for _, s := range readStarts(t.starts) {
		if pi, ok := readProcInfo(s.pid); ok {
			killOrphan(pi) // only reached when a tool orphaned its program outside its tree
		}
	}
	t.p = nil
	deadline := time.Now().Add(3 * time.Second)
	for !portFree(t.port) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: port %d still busy after shutdown", t.label(), t.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// startsSince counts the program's starts and bind failures after t.
func (t *watcherTool) startsSince(at time.Time) (starts, bindFails int, pids map[int]bool) {
	pids = map[int]bool{}
	for _, s := range readStarts(t.starts) {
		if !s.at.After(at) {
			continue
		}
		switch s.kind {
		case "start":
			starts++
			pids[s.pid] = true
		case "bindfail":
			bindFails++
		}
	}
	return starts, bindFails, pids
}

// lastStart returns when the program last started (or failed to bind).
func (t *watcherTool) lastStart() time.Time {
	var last time.Time
	for _, s := range readStarts(t.starts) {
		if s.at.After(last) {
			last = s.at
		}
	}
	return last
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// lookTool finds a tool on PATH, or in GOBIN / GOPATH/bin where go
// install puts it.
func lookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, gp := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
