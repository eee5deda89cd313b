//go:build linux

package main

import (
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// stormResult is one tool's storm.
type stormResult struct {
	label      string
	goFiles    int
	otherFiles int
	writeTime  time.Duration // how long the storm's writes took
	starts     int           // program starts after the storm began
	bindFails  int
	finalOK    bool          // /tree answered the final tree at the end
	toFinal    time.Duration // storm end → final tree first answered
	finalPID   int
	peakProcs  int  // most processes seen at once in the tool's tree
	runaway    bool // the tree passed maxTree and the benchmark killed it
	builds     int  // golive: build_start events after the storm
	buildsOK   int  // golive: build_ok events after the storm
	err        string
}

// stormSettle is how long the program must have been the same, serving
// the final tree, before a storm is judged over: long enough for a
// tool's late second restart.
const stormSettle = 3 * time.Second

// maxTree is the most processes a tool's tree may hold during a storm. A
// tool that starts a build per event (air at build.delay=0 started 424
// concurrent go builds here) would otherwise load a shared machine to
// the hundreds; it is killed with its tree and reported as a runaway.
const maxTree = 40

func (b *bench) storms() error {
	for _, t := range b.tools {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		b.logf("storm: %s", t.label())
		r := b.storm(t)
		if r.err != "" {
			b.logf("  %s", r.err)
		}
		b.res.storms = append(b.res.storms, r)
		if err := t.shutdown(); err != nil {
			b.res.notes = append(b.res.notes, err.Error())
		}
	}
	return nil
}

// storm rewrites every internal .go file and every data file as fast as
// it can, then watches /tree until the program serves the final tree and
// nothing restarted for stormSettle, or the time is up.
func (b *bench) storm(t *watcherTool) stormResult {
	r := stormResult{label: t.label(), goFiles: t.fx.shape.Packages * t.fx.shape.Files, otherFiles: len(t.fx.other)}
	token := fmt.Sprintf("s%06d", time.Now().UnixNano()%1e6)
	ws := t.fx.storm(token)
	want := t.fx.treeAnswer(token)
	// Let any late restart of the latency rounds pass first.
	time.Sleep(time.Second)
	g := startGuard(t)
	defer g.stop() // early returns; stopping twice is fine
	before := time.Now()
	d, err := t.fx.applyStorm(ws)
	if err != nil {
		r.err = err.Error()
		return r
	}
	r.writeTime = d
	end := time.Now()
	timeout := 3 * b.opts.roundTimeout
	var firstMatch time.Time
	for {
		now := time.Now()
		body, ok := t.c.get("/tree")
		matched := ok && body == want
		if matched && firstMatch.IsZero() {
			firstMatch = now
		}
		if !matched {
			firstMatch = time.Time{} // a later restart served something else
		}
		last := t.lastStart()
		if matched && now.Sub(later(last, firstMatch)) > stormSettle {
			break
		}
		if !matched && last.After(before) && now.Sub(last) > 20*time.Second {
			break // restarted, then nothing for 20 s: a stale tree
		}
		if now.Sub(end) > timeout || t.p.exited() {
			break
		}
		if b.ctx.Err() != nil {
			r.err = b.ctx.Err().Error()
			return r
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.peakProcs, r.runaway = g.stop()
	r.finalOK = !firstMatch.IsZero()
	if r.finalOK {
		r.toFinal = firstMatch.Sub(end)
	}
	if s, ok := t.c.get("/pid"); ok {
		r.finalPID, _ = strconv.Atoi(s)
	}
	r.starts, r.bindFails, _ = t.startsSince(before)
	if t.isGolive() {
		t.events.refresh()
		r.builds = len(t.events.after(before, "build_start"))
		r.buildsOK = len(t.events.after(before, "build_ok"))
	}
	return r
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// treeGuard samples the size of a tool's process tree every 50 ms and
// kills the tree if it passes maxTree.
type treeGuard struct {
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
	peak    int
	runaway bool
}

func startGuard(t *watcherTool) *treeGuard {
	g := &treeGuard{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(g.stopped)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			n := len(descendants(t.p.pid())) + 1
			g.peak = max(g.peak, n)
			if n > maxTree {
				g.runaway = true
				t.p.stop(syscall.SIGKILL, 0)
				return
			}
			select {
			case <-g.done:
				return
			case <-tick.C:
			}
		}
	}()
	return g
}

// stop ends the sampling and returns the peak and whether the tree ran away.
func (g *treeGuard) stop() (peak int, runaway bool) {
	g.once.Do(func() { close(g.done) })
	<-g.stopped
	return g.peak, g.runaway
}
