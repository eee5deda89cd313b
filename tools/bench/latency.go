//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	"github.com/golive-dev/golive/runner"
)

// Parts of the save-to-serving time, in report order.
const (
	partQuiet  = "save → build starts (quiet window)"
	partBuild  = "go build"
	partStop   = "stop the old program"
	partAnswer = "start → first answer"
	partRest   = "rest (rename, exec, event gaps, polling)"
)

var partOrder = []string{partQuiet, partBuild, partStop, partAnswer, partRest}

// sample is one latency round of one tool or floor.
type sample struct {
	ok        bool
	err       string
	total     time.Duration
	starts    int // program starts caused by the edit
	bindFails int
	parts     map[string]time.Duration
	replayed  bool // golive: the build was a replay (compile and link only)
	// startReplayed: golive's first build of a new session was a replay
	// of the recipe the session before kept (the shapes scenario).
	startReplayed bool
	// svc: golive's builds, starts and replays per service for one save
	// (the services scenario).
	svc *svcCounts
}

// series is every round of one tool or floor.
type series struct {
	label   string
	floor   bool
	samples []sample
}

// settle is how long a round waits after the answer for late restarts
// (a tool that builds twice for one save) and, in a full run, for golive
// to start the next restart's keeper, runner.PrepareAfter after a start:
// a new Go process, tens of milliseconds of CPU, which must not land
// under the next participant (a peer's or a floor's build); not the
// hand-back of its pages 2 s later (a few ms of CPU). A -quick run
// reports nothing to read and waits 500 ms.
func (b *bench) settle() time.Duration {
	if b.opts.quick {
		return 500 * time.Millisecond
	}
	return runner.PrepareAfter + 250*time.Millisecond
}

// latency runs the rounds, every tool and floor once per round in a
// shuffled order, after one warm-up round that is not counted.
func (b *bench) latency() error {
	type participant struct {
		s     *series
		round func(token string) sample
	}
	var ps []participant
	for _, f := range b.floors {
		f := f
		ps = append(ps, participant{&series{label: f.name, floor: true}, func(tok string) sample { return b.floorRound(f, tok) }})
	}
	for _, t := range b.tools {
		t := t
		ps = append(ps, participant{&series{label: t.label()}, func(tok string) sample { return b.toolRound(t, tok) }})
	}
	rng := rand.New(rand.NewPCG(6, uint64(time.Now().UnixNano())))
	for r := -1; r < b.opts.rounds; r++ {
		if r < 0 {
			b.logf("latency: warm-up round")
		} else {
			b.logf("latency: round %d/%d", r+1, b.opts.rounds)
		}
		for _, i := range rng.Perm(len(ps)) {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			p := ps[i]
			tok := fmt.Sprintf("r%02d-%s-%06d", r+1, sanitize(p.s.label), time.Now().UnixNano()%1e6)
			s := p.round(tok)
			if r >= 0 {
				p.s.samples = append(p.s.samples, s)
			}
			if !s.ok {
				b.logf("  %s: %s", p.s.label, s.err)
			}
		}
	}
	for _, f := range b.floors {
		if f.running != nil {
			f.running.stop(syscall.SIGKILL, 0)
			f.running = nil
		}
	}
	for _, p := range ps {
		b.res.latency = append(b.res.latency, p.s)
	}
	return nil
}

// toolRound rewrites the constant in the tool's copy and waits for the
// new answer.
func (b *bench) toolRound(t *watcherTool, token string) sample {
	if err := t.fx.setVersion(token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	at, err := t.c.waitFor(b.ctx, "/version", token, b.opts.roundTimeout, nil)
	if err != nil {
		// Count what did start: a bind failure explains a missed answer.
		s := sample{err: err.Error()}
		s.starts, s.bindFails, _ = t.startsSince(saved)
		if s.bindFails > 0 {
			s.err += fmt.Sprintf(" (%d bind failure(s): the new program started before the old one freed the port)", s.bindFails)
		}
		return s
	}
	s := sample{ok: true, total: at.Sub(saved)}
	if t.isGolive() {
		s.parts, s.replayed = b.goliveSplit(t.events, saved, at)
	}
	time.Sleep(b.settle())
	s.starts, s.bindFails, _ = t.startsSince(saved)
	return s
}

// goliveSplit reads where the time of one save went from golive's events:
// the build that produced the program answering at `at`, the stop before
// its start, and the start; and whether that build was a replay.
func (b *bench) goliveSplit(ev *eventLog, saved, at time.Time) (map[string]time.Duration, bool) {
	if _, err := ev.waitFor(b.ctx, "start", saved, 2*time.Second); err != nil {
		return nil, false
	}
	var start event
	for _, e := range ev.after(saved, "start") {
		if !e.Time.After(at) {
			start = e
		}
	}
	if start.Type == "" {
		return nil, false
	}
	var bs event
	for _, e := range ev.after(saved, "build_start") {
		if e.Time.Before(start.Time) {
			bs = e
		}
	}
	if bs.Type == "" {
		return nil, false
	}
	parts := map[string]time.Duration{partQuiet: bs.Time.Sub(saved)}
	replayed := false
	if oks := ev.after(bs.Time.Add(-time.Nanosecond), "build_ok"); len(oks) > 0 {
		parts[partBuild] = oks[0].duration()
		replayed = oks[0].Replayed
	}
	for _, e := range ev.after(bs.Time, "stop") {
		if !e.Time.After(start.Time) {
			parts[partStop] = e.duration()
		}
	}
	parts[partAnswer] = at.Sub(start.Time)
	rest := at.Sub(saved)
	for _, d := range parts {
		rest -= d
	}
	parts[partRest] = rest
	return parts, replayed
}

// floorRound is the floor by hand: the same edit, go build, start the
// binary, poll until it answers. The plain floors have no old program to
// stop; the polled floor stops the previous round's program once the new
// binary is built, as golive does, and is polled from the save on.
func (b *bench) floorRound(f *floor, token string) sample {
	bin := f.bin
	if f.polled {
		// The old binary may still run: build beside it.
		bin += "-" + token
	}
	os.Remove(bin)
	if err := f.fx.setVersion(token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	type answer struct {
		at  time.Time
		err error
	}
	answered := make(chan answer, 1)
	if f.polled {
		go func() {
			at, err := f.c.waitFor(b.ctx, "/version", token, b.opts.roundTimeout, nil)
			answered <- answer{at, err}
		}()
	}
	bd, err := b.goBuild(f.fx.dir, f.flags, bin)
	if err != nil {
		return sample{err: err.Error()}
	}
	parts := map[string]time.Duration{partQuiet: 0, partBuild: bd}
	if d, ok := retire(&f.running); f.polled && ok {
		parts[partStop] = d
	}
	started := time.Now()
	p, err := b.startBinary(bin, f.fx.dir, f.port)
	if err != nil {
		return sample{err: err.Error()}
	}
	var at time.Time
	if f.polled {
		f.running = p
		a := <-answered
		at, err = a.at, a.err
	} else {
		defer p.stop(syscall.SIGKILL, 0)
		at, err = f.c.waitFor(b.ctx, "/version", token, b.opts.roundTimeout, nil)
	}
	if err != nil {
		return sample{err: err.Error()}
	}
	total := at.Sub(saved)
	parts[partAnswer] = at.Sub(started)
	rest := total
	for _, d := range parts {
		rest -= d
	}
	parts[partRest] = rest
	return sample{ok: true, total: total, starts: 1, parts: parts}
}

// retire stops a polled floor's previous program, removes its binary and
// says how long the stop took; false when none ran.
func retire(p **proc) (time.Duration, bool) {
	if *p == nil {
		return 0, false
	}
	t := time.Now()
	(*p).terminate()
	d := time.Since(t)
	os.Remove((*p).cmd.Path)
	*p = nil
	return d, true
}
