//go:build linux

package main

import (
	"fmt"
	"time"
)

// editResult is one edit-during-build round (golive only: it needs the
// build_start event to know a build is running). The golive built from
// the tree runs it, not a -baseline: it is a check of correctness with a
// fixed outcome, not a time to compare.
type editResult struct {
	duringBuild bool          // the second edit landed before the first build ended
	firstShown  bool          // the first edit ever answered
	finalOK     bool          // the second edit answered, and still did at the end
	starts      int           // program starts after the first edit
	builds      int           // build_start events after the first edit
	buildsOK    int           // build_ok events after the first edit
	latency     time.Duration // second save → its answer
	err         string
}

func (b *bench) editDuringBuild() error {
	t := b.tools[0]
	for r := 0; r < b.opts.editRuns; r++ {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		b.logf("edit during build: round %d/%d", r+1, b.opts.editRuns)
		res := b.editRound(t, r)
		if res.err != "" {
			b.logf("  %s", res.err)
		}
		b.res.edits = append(b.res.edits, res)
		time.Sleep(time.Second)
	}
	return nil
}

func (b *bench) editRound(t *watcherTool, r int) editResult {
	var res editResult
	first := fmt.Sprintf("e%d-first-%06d", r, time.Now().UnixNano()%1e6)
	second := fmt.Sprintf("e%d-second-%06d", r, time.Now().UnixNano()%1e6)
	if err := t.fx.setVersion(first); err != nil {
		res.err = err.Error()
		return res
	}
	savedFirst := time.Now()
	bs, err := t.events.waitFor(b.ctx, "build_start", savedFirst, 10*time.Second)
	if err != nil {
		res.err = "first edit: " + err.Error()
		return res
	}
	if err := t.fx.setVersion(second); err != nil {
		res.err = err.Error()
		return res
	}
	savedSecond := time.Now()
	seen := func(body string) {
		if body == first {
			res.firstShown = true
		}
	}
	at, err := t.c.waitFor(b.ctx, "/version", second, b.opts.roundTimeout, seen)
	if err != nil {
		res.err = "second edit: " + err.Error()
		return res
	}
	res.latency = at.Sub(savedSecond)
	// Keep watching: a stale build that finishes late must not replace it.
	deadline := time.Now().Add(2 * time.Second)
	res.finalOK = true
	for time.Now().Before(deadline) {
		if body, ok := t.c.get("/version"); ok && body != second {
			seen(body)
			res.finalOK = false
		}
		time.Sleep(pollEvery)
	}
	t.events.refresh()
	oks := t.events.after(bs.Time, "build_ok")
	res.duringBuild = len(oks) == 0 || oks[0].Time.After(savedSecond)
	res.builds = len(t.events.after(savedFirst, "build_start"))
	res.buildsOK = len(t.events.after(savedFirst, "build_ok"))
	res.starts, _, _ = t.startsSince(savedFirst)
	return res
}
