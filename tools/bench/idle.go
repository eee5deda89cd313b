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
	dirs, files   int
	goliveStartup []time.Duration // launch → first answer
	floorStartup  []time.Duration // go build (golive's flags) + start + first answer
	plainStartup  []time.Duration // plain go build + start + first answer
	launchCPU     time.Duration   // golive's own CPU, launch → first answer
	toBuild       []time.Duration // golive: launch → build_start
	build         []time.Duration // golive: first build's duration_ms
	toAnswer      []time.Duration // golive: start event → first answer
	replayed      int             // timed rounds whose first build was a replay
	// golive's first session in the fixture, before the timed rounds: no
	// recipe kept yet, so its first build is go build. It warms golive's
	// store as the floors' warm-up builds warm go's cache.
	first          *idleResult
	window         time.Duration
	idleCPU        time.Duration // golive's own CPU over the window
	rss, hwm       int64
	buildsInWindow int // build_start events while idle (should be 0)
}

// idleStartup launches golive on a large tree: start-up against the
// floor, interleaved, then (first round) golive's own CPU and memory over
// a window with no changes.
func (b *bench) idleStartup() error {
	b.logf("idle/start-up: generating %d directories and %d files", b.bigShape.BigDirs, b.bigShape.BigFiles)
	fx, err := b.newFixture("fx-big", b.bigShape)
	if err != nil {
		return err
	}
	res := &idleResult{dirs: b.bigShape.BigDirs, files: b.bigShape.BigFiles, window: b.opts.idle}
	b.res.idle = res
	port, err := freePort()
	if err != nil {
		return err
	}
	bin := filepath.Join(b.work, "bin-big")
	for _, flags := range [][]string{goliveFlags(), nil} {
		if _, err := b.goBuild(fx.dir, flags, bin); err != nil { // warm the cache
			return err
		}
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
	b.logf("idle/start-up: golive's first session in the fixture")
	res.first = &idleResult{}
	if err := b.goliveStartup(fx, port, false, res.first); err != nil {
		return fmt.Errorf("idle/start-up: first session: %w", err)
	}
	for r := 0; r < b.opts.startupRuns; r++ {
		b.logf("idle/start-up: round %d/%d", r+1, b.opts.startupRuns)
		steps := []func() error{
			func() error { return b.goliveStartup(fx, port, r == 0, res) },
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
		}
		for i := range steps {
			if err := steps[(i+r)%len(steps)](); err != nil {
				return fmt.Errorf("idle/start-up: %w", err)
			}
		}
	}
	return nil
}

func (b *bench) goliveStartup(fx *fixture, port int, measureIdle bool, res *idleResult) error {
	t := &watcherTool{
		name: "golive", setting: "large tree", fx: fx, port: port, c: newClient(port),
		starts: filepath.Join(b.work, "starts-big.log"),
		events: &eventLog{path: filepath.Join(b.work, fmt.Sprintf("events-big-%d.jsonl", len(res.goliveStartup)))},
	}
	t.argv = []string{b.golive, "-C", fx.dir, "--events", t.events.path}
	defer t.shutdown()
	launched, answered, err := t.launch(b.ctx, b, 5*time.Minute)
	if err != nil {
		return err
	}
	res.goliveStartup = append(res.goliveStartup, answered.Sub(launched))
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
