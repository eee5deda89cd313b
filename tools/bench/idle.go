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

// idleResult is the scenario on one tree: the large one, or the
// monorepo (idleTree).
type idleResult struct {
	tree         idleTree
	dirs, files  int
	buildDirs    buildDirs        // what the build reads, from go list
	floorEdit    []time.Duration  // an edit of version.go, go build (golive's flags) + start + answer
	golive       []*startupResult // one per golive binary, as b.golives
	floorStartup []time.Duration  // go build (golive's flags) + start + first answer
	plainStartup []time.Duration  // plain go build + start + first answer
}

// startupResult is one golive binary's sessions on the large tree.
type startupResult struct {
	name      string          // as goliveBin.name
	startup   []time.Duration // launch → first answer
	launchCPU time.Duration   // golive's own CPU, launch → first answer
	toBuild   []time.Duration // launch → build_start
	build     []time.Duration // first build's duration_ms
	toAnswer  []time.Duration // start event → first answer
	replayed  int             // timed rounds whose first build was a replay
	// golive's first session in the fixture, before the timed rounds: no
	// recipe kept yet, so its first build is go build. It warms golive's
	// store as the floors' warm-up builds warm go's cache.
	first          *startupResult
	window         time.Duration
	idleCPU        time.Duration // golive's own CPU over the window
	rss, hwm       int64
	anon, file     int64           // VmRSS's parts: private memory, and mapped file pages (golive's binary, libc)
	buildsInWindow int             // build_start events while idle (should be 0)
	watches        int             // inotify watches held at the end of the window (/proc fdinfo)
	watchedDirs    int             // the directories golive says it watches (its last watching event)
	edits          []time.Duration // after the window: save of version.go → new answer
}

// idleTree is one tree the idle and start-up scenario runs on.
type idleTree struct {
	name, tag string
	shape     shape
}

// idleTrees are the large tree (a small program in 5,000 directories of
// other files) and the monorepo (a go.work of 3 modules, main importing
// a third of their packages).
func (b *bench) idleTrees() []idleTree {
	return []idleTree{{"large tree", "big", b.bigShape}, {"monorepo", "work", b.workShape}}
}

// idleStartup launches golive on a large tree: start-up against the
// floor, interleaved, then (first round) golive's own CPU and memory over
// a window with no changes. A -baseline golive gets a copy of the tree of
// its own, warmed as the first one is, and its sessions take turns with
// the other golive's and the floors' in every round.
func (b *bench) idleStartup() error {
	for _, tree := range b.idleTrees() {
		if err := b.idleOn(tree); err != nil {
			return fmt.Errorf("%s: %w", tree.name, err)
		}
	}
	return nil
}

func (b *bench) idleOn(tree idleTree) error {
	b.logf("idle/start-up: generating the %s", tree.name)
	res := &idleResult{tree: tree, dirs: tree.shape.BigDirs, files: tree.shape.BigFiles}
	b.res.idle = append(b.res.idle, res)
	port, err := freePort()
	if err != nil {
		return err
	}
	bin := filepath.Join(b.work, "bin-"+tree.tag)
	fxs := make([]*fixture, len(b.golives))
	for i, g := range b.golives {
		if fxs[i], err = b.newFixture("fx-"+tree.tag+g.tag, tree.shape); err != nil {
			return err
		}
		// Warm the cache: the floors run in the first copy only.
		flagSets := [][]string{goliveFlags(), nil}
		if i > 0 {
			flagSets = flagSets[:1]
		}
		for _, flags := range flagSets {
			if _, err := b.goBuild(fxs[i].dir, flags, bin); err != nil {
				return err
			}
		}
		res.golive = append(res.golive, &startupResult{name: g.name, window: b.opts.idle})
	}
	fx := fxs[0]
	if res.buildDirs, err = listBuildDirs(b.ctx, fx.dir); err != nil {
		return err
	}
	// The edit floor's own copy, the same program without the large
	// tree's other files: its edits leave the start-up copies as they are.
	editShape := tree.shape
	editShape.BigDirs, editShape.BigFiles = 0, 0
	editFx, err := b.newFixture("fx-"+tree.tag+"-edit", editShape)
	if err != nil {
		return err
	}
	if _, err := b.goBuild(editFx.dir, goliveFlags(), bin); err != nil {
		return err
	}
	c := newClient(port)
	floorStart := func(flags []string) (time.Duration, error) {
		os.Remove(bin)
		start := time.Now()
		if _, err := b.goBuild(fx.dir, flags, bin); err != nil {
			return 0, err
		}
		p, err := b.startBinary(bin, fx.dir, port)
		if err != nil {
			return 0, err
		}
		defer p.stop(syscall.SIGKILL, 0)
		at, err := c.waitFor(b.ctx, "/version", "", b.opts.roundTimeout, nil)
		if err != nil {
			return 0, err
		}
		return at.Sub(start), nil
	}
	for i, g := range b.golives {
		b.logf("idle/start-up: %s's first session in the fixture", g.name)
		res.golive[i].first = &startupResult{name: g.name}
		if err := b.goliveStartup(g, tree, fxs[i], port, false, res.golive[i].first); err != nil {
			return fmt.Errorf("idle/start-up: %s's first session: %w", g.name, err)
		}
	}
	for r := 0; r < b.opts.startupRuns; r++ {
		b.logf("idle/start-up: round %d/%d", r+1, b.opts.startupRuns)
		var steps []func() error
		for i, g := range b.golives {
			steps = append(steps, func() error { return b.goliveStartup(g, tree, fxs[i], port, r == 0, res.golive[i]) })
		}
		steps = append(steps,
			func() error {
				d, err := b.floorEdit(editFx, port, r)
				res.floorEdit = append(res.floorEdit, d)
				return err
			},
			func() error {
				d, err := floorStart(goliveFlags())
				res.floorStartup = append(res.floorStartup, d)
				return err
			},
			func() error {
				d, err := floorStart(nil)
				res.plainStartup = append(res.plainStartup, d)
				return err
			},
		)
		for i := range steps {
			if err := steps[(i+r)%len(steps)](); err != nil {
				return fmt.Errorf("idle/start-up: %w", err)
			}
		}
	}
	return nil
}

func (b *bench) goliveStartup(g goliveBin, tree idleTree, fx *fixture, port int, measureIdle bool, res *startupResult) error {
	t := &watcherTool{
		name: "golive", setting: tree.name, fx: fx, port: port, c: newClient(port),
		starts: filepath.Join(b.work, "starts-"+tree.tag+g.tag+".log"),
		events: &eventLog{path: filepath.Join(b.work, fmt.Sprintf("events-%s%s-%d.jsonl", tree.tag, g.tag, len(res.startup)))},
	}
	if g.tag != "" {
		t.setting += ", " + g.setting
	}
	t.argv = append([]string{g.path, "-C", fx.dir, "--events", t.events.path}, b.opts.goliveArgs...)
	defer t.shutdown()
	launched, answered, err := t.launch(b.ctx, b, 5*time.Minute)
	if err != nil {
		return err
	}
	res.startup = append(res.startup, answered.Sub(launched))
	// Where the start-up went, from golive's events.
	if _, err := t.events.waitFor(b.ctx, "start", launched, 2*time.Second); err == nil {
		bs, ok, st := t.events.after(launched, "build_start"), t.events.after(launched, "build_ok"), t.events.after(launched, "start")
		if len(bs) > 0 && len(ok) > 0 && len(st) > 0 {
			res.toBuild = append(res.toBuild, bs[0].Time.Sub(launched))
			res.build = append(res.build, ok[0].duration())
			res.toAnswer = append(res.toAnswer, answered.Sub(st[0].Time))
			if ok[0].Replayed {
				res.replayed++
			}
		}
	}
	if !measureIdle {
		return nil
	}
	pid := t.p.pid()
	if res.launchCPU, err = cpuTime(pid); err != nil {
		return err
	}
	// Let the work after the first start (golive asks go list for
	// embedded files) finish before the window opens.
	time.Sleep(time.Second)
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	open := time.Now()
	select {
	case <-time.After(b.opts.idle):
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	cpu1, err := cpuTime(pid)
	if err != nil {
		return err
	}
	res.idleCPU = cpu1 - cpu0
	res.window = time.Since(open)
	if res.rss, res.hwm, err = memStatus(pid); err != nil {
		return err
	}
	if res.anon, res.file, err = memSplit(pid); err != nil {
		return err
	}
	if res.watches, err = inotifyWatches(pid); err != nil {
		return err
	}
	t.events.refresh()
	res.buildsInWindow = len(t.events.after(open, "build_start"))
	if ws := t.events.after(launched, "watching"); len(ws) > 0 {
		res.watchedDirs = ws[len(ws)-1].Dirs
	}
	// Save to serving, in the session that stood idle: the edit the
	// floorEdit rounds time by hand.
	for k := 0; k < 3; k++ {
		v := fmt.Sprintf("idle-edit-%d", k)
		saved := time.Now()
		if err := fx.setVersion(v); err != nil {
			return err
		}
		at, err := t.c.waitFor(b.ctx, "/version", v, b.opts.roundTimeout, nil)
		if err != nil {
			return err
		}
		res.edits = append(res.edits, at.Sub(saved))
	}
	// Back to the fixture's own version.go, built: the next session's
	// start-up and the floors find what they found before.
	if err := fx.setVersion("v0"); err != nil {
		return err
	}
	_, err = t.c.waitFor(b.ctx, "/version", "v0", b.opts.roundTimeout, nil)
	return err
}

// floorEdit times the edit floor on fx: version.go saved, go build
// (golive's flags), start, first answer of the new version.
func (b *bench) floorEdit(fx *fixture, port, round int) (time.Duration, error) {
	bin := filepath.Join(b.work, "bin-edit")
	v := fmt.Sprintf("floor-edit-%d", round)
	start := time.Now()
	if err := fx.setVersion(v); err != nil {
		return 0, err
	}
	if _, err := b.goBuild(fx.dir, goliveFlags(), bin); err != nil {
		return 0, err
	}
	p, err := b.startBinary(bin, fx.dir, port)
	if err != nil {
		return 0, err
	}
	defer p.stop(syscall.SIGKILL, 0)
	at, err := newClient(port).waitFor(b.ctx, "/version", v, b.opts.roundTimeout, nil)
	if err != nil {
		return 0, err
	}
	return at.Sub(start), nil
}

// inotifyWatches counts the inotify watches the process pid holds, from
// its file descriptors' fdinfo.
func inotifyWatches(pid int) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); link != "anon_inode:inotify" {
			continue
		}
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		if err != nil {
			return 0, err
		}
		n += strings.Count(string(info), "inotify wd:")
	}
	return n, nil
}

// buildDirs is what go list says the build of a fixture reads: the
// directories holding its files (packages outside the standard library,
// modules' go.mod, the go.work), and of those under the start directory
// the ones above them there.
type buildDirs struct {
	total, inside, above int
}

func listBuildDirs(ctx context.Context, dir string) (buildDirs, error) {
	dirs := map[string]bool{}
	for _, args := range [][]string{
		{"list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "."},
		{"list", "-m", "-f", "{{.Dir}}"},
		{"env", "GOWORK"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return buildDirs{}, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
		for _, line := range strings.Fields(string(out)) {
			if line == "off" || line == "" {
				continue
			}
			if args[0] == "env" {
				line = filepath.Dir(line)
			}
			dirs[line] = true
		}
	}
	bd := buildDirs{total: len(dirs)}
	above := map[string]bool{}
	for d := range dirs {
		rel, err := filepath.Rel(dir, d)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		bd.inside++
		for a := filepath.Dir(rel); a != "."; a = filepath.Dir(a) {
			if !dirs[filepath.Join(dir, a)] {
				above[a] = true
			}
		}
	}
	bd.above = len(above)
	return bd, nil
}
