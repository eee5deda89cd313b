//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// idleResult is the large-tree scenario.
type idleResult struct {
	dirs, files  int
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
	buildsInWindow int // build_start events while idle (should be 0)
}

// idleStartup launches golive on a large tree: start-up against the
// floor, interleaved, then (first round) golive's own CPU and memory over
// a window with no changes. A -baseline golive gets a copy of the tree of
// its own, warmed as the first one is, and its sessions take turns with
// the other golive's and the floors' in every round.
func (b *bench) idleStartup() error {
	b.logf("idle/start-up: generating %d directories and %d files", b.bigShape.BigDirs, b.bigShape.BigFiles)
	res := &idleResult{dirs: b.bigShape.BigDirs, files: b.bigShape.BigFiles}
	b.res.idle = res
	port, err := freePort()
	if err != nil {
		return err
	}
	bin := filepath.Join(b.work, "bin-big")
	fxs := make([]*fixture, len(b.golives))
	for i, g := range b.golives {
		if fxs[i], err = b.newFixture("fx-big"+g.tag, b.bigShape); err != nil {
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
		if err := b.goliveStartup(g, fxs[i], port, false, res.golive[i].first); err != nil {
			return fmt.Errorf("idle/start-up: %s's first session: %w", g.name, err)
		}
	}
	for r := 0; r < b.opts.startupRuns; r++ {
		b.logf("idle/start-up: round %d/%d", r+1, b.opts.startupRuns)
		var steps []func() error
		for i, g := range b.golives {
			steps = append(steps, func() error { return b.goliveStartup(g, fxs[i], port, r == 0, res.golive[i]) })
		}
		steps = append(steps,
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

func (b *bench) goliveStartup(g goliveBin, fx *fixture, port int, measureIdle bool, res *startupResult) error {
	t := &watcherTool{
		name: "golive", setting: "large tree", fx: fx, port: port, c: newClient(port),
		starts: filepath.Join(b.work, "starts-big"+g.tag+".log"),
		events: &eventLog{path: filepath.Join(b.work, fmt.Sprintf("events-big%s-%d.jsonl", g.tag, len(res.startup)))},
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
	t.events.refresh()
	res.buildsInWindow = len(t.events.after(open, "build_start"))
	return nil
}
