package main

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// burst is what one run produced, in one view.
type burst struct {
	events int
	maxGap time.Duration // largest gap between consecutive events
	span   time.Duration // first event to last
}

func measureBurst(evs []rec, keep func(rec) bool) burst {
	var b burst
	var first, prev time.Time
	for _, e := range evs {
		if !keep(e) {
			continue
		}
		if b.events == 0 {
			first = e.at
		} else if g := e.at.Sub(prev); g > b.maxGap {
			b.maxGap = g
		}
		prev = e.at
		b.events++
	}
	if b.events > 0 {
		b.span = prev.Sub(first)
	}
	return b
}

type result struct {
	a        action
	golive   []burst
	all      []burst
	took     []time.Duration // the action's own duration
	capped   int             // runs whose recording hit -maxwait
	overflow int
	load     [2]string // load average when the action started and ended
}

func measure(a action, dir string) (res result, err error) {
	res = result{a: a}
	res.load[0] = loadavg()
	defer func() { res.load[1] = loadavg() }()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	if err := a.setup(dir); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	w, err := newRecorder(dir)
	if err != nil {
		return res, err
	}
	defer w.close()
	for i := 0; i < *runs; i++ {
		if a.pre != nil {
			if err := a.pre(dir, i); err != nil {
				return res, fmt.Errorf("run %d: prepare: %w", i, err)
			}
		}
		w.quiet(time.Now(), *settle, *maxWait)
		w.take()
		t0 := time.Now()
		err := a.run(dir, i)
		t1 := time.Now()
		if err != nil {
			return res, fmt.Errorf("run %d: %w", i, err)
		}
		if !w.quiet(t1, *settle, *maxWait) {
			res.capped++
		}
		evs, ov, errs := w.take()
		if len(errs) > 0 {
			return res, fmt.Errorf("run %d: watch: %w", i, errors.Join(errs...))
		}
		res.overflow += ov
		g := measureBurst(evs, func(e rec) bool { return e.counted })
		all := measureBurst(evs, func(rec) bool { return true })
		res.golive = append(res.golive, g)
		res.all = append(res.all, all)
		res.took = append(res.took, t1.Sub(t0))
		if *verbose {
			fmt.Fprintf(os.Stderr, "  %s #%d: took %v; golive %d ev, max gap %v, span %v; all %d ev, max gap %v, span %v\n",
				a.name, i, t1.Sub(t0).Round(time.Microsecond), g.events, g.maxGap, g.span, all.events, all.maxGap, all.span)
			if i == 0 {
				for _, e := range evs {
					mark := " "
					if e.counted {
						mark = "*"
					}
					fmt.Fprintf(os.Stderr, "    %s +%9.3fms %-18s %s\n", mark, ms(e.at.Sub(t0)), e.op, e.rel)
				}
			}
		}
	}
	return res, nil
}
