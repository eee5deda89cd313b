//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The shapes scenario (issue 15): golive's save → serving in four kinds
// of project (shapefixture.go), for a save that keeps a package's export
// data, one that changes it, and the first save of a new session, each
// against two floors measured in the same rounds: go build with golive's
// flags, and the edit's own compile and link commands run by hand
// (handbuild.go). Only the golive built from the tree runs it.
//
// golive's saves are timed two ways, in the same rounds: polled from the
// save on, as every other scenario polls, and polled only from the new
// program's start on (golive's events file says when). The first pays for
// the measurement: on 2 cores the polling of the old program takes CPU
// from golive's compile and link, which no user's browser does. The
// second keeps the build and the old program's stop quiet, as the plain
// compile-and-link floor's build is (it polls from its own start), and
// loses nothing: the new program cannot serve before it starts.

// Edits of the shapes scenario, in report order.
const (
	editBody   = "keeps export data"
	editExport = "changes export data"
	editFirst  = "first save of a session"
)

// pollFrom is when a timed golive save starts polling the program.
type pollFrom int

const (
	fromSave  pollFrom = iota // from the save on, the old program polled during the build
	fromStart                 // from the new program's start on, golive's events file watched until then
)

// Targets of issue 15 for every row: golive over each floor.
const (
	targetHand  = 1.05
	targetFloor = 0.85
)

// sessionQuiet is how long a new session stands after golive says it
// watches the build's files and before its first save: a user's first
// save comes later than golive's own work after a start.
const sessionQuiet = 500 * time.Millisecond

// quickSettle is how long a -quick run, which proves the scenario works
// and reports no figure to read, waits after a save of golive's running
// session; a full run waits b.settle(), past golive's start of the next
// restart's keeper.
const quickSettle = 100 * time.Millisecond

// shapesResult is the scenario: three rows per shape, as projectShapes
// and the edits.
type shapesResult struct {
	rounds   int
	size     shapeSize
	rows     []*shapeRow
	fallback []*fallbackRow // one per shape: a save left to go build (fallback.go)
}

// shapeRow is one shape and edit: golive's saves in both forms, and the
// floors of the same edit in the same rounds (for the first save of a
// session, the exported constant's floors).
type shapeRow struct {
	shape     projectShape
	edit      string
	golive    *series // polled from the save
	fromBuild *series // polled from the new program's start (fromStart)
	floor     *series // go build with golive's flags, start, first answer
	hand      *series // the edit's compile and link commands, start, first answer
	// polled is the hand build done as golive does it: the previous
	// round's program serves, polled from the save on, until the build is
	// done; then it is stopped and the new binary started.
	polled   *series
	compiled []string // the packages the hand build compiles
}

// shapeCopy is one copy of a shapes project, with its port and binary.
type shapeCopy struct {
	fx      *shapeFixture
	port    int
	c       *client
	bin     string
	running *proc // the polled floor's program, between rounds
}

// shapeProject is one shape's copies: golive's running session, the copy
// new sessions start in round after round, the go build floor's, and one
// per edit for the hand builds (each edit's captured commands stay valid
// only where no other edit is made).
type shapeProject struct {
	kind     projectShape
	live     *watcherTool
	liveFx   *shapeFixture
	session  *shapeCopy
	sessions int
	floor    *shapeCopy
	hand     map[string]*shapeCopy
	builds   map[string]*handBuild
	polled   map[string]*shapeCopy // the polled hand floor's copies
	pbuilds  map[string]*handBuild
	// The fallback's copies: golive's session of its own, and go build's
	// by hand (fallback.go).
	fbLive     *watcherTool
	fbLiveCopy *fallbackCopy
	fbFloor    *fallbackCopy
}

// save makes one of the scenario's edits: the first save of a session is
// the exported constant's.
func (sf *shapeFixture) save(edit, v string) error {
	if edit == editBody {
		return sf.setBody(v)
	}
	return sf.setExport(v)
}

// editTag is an edit in file names: body or version, the file it saves.
func editTag(edit string) string {
	if edit == editBody {
		return "body"
	}
	return "version"
}

// answerPath is where the program answers what an edit changes.
func answerPath(edit string) string {
	if edit == editBody {
		return "/body"
	}
	return "/version"
}

// shapeStep is one participant of the scenario's rounds.
type shapeStep struct {
	s     *series
	round func(token string) sample
	warm  bool // a -quick run warms up this one too
}

// shapesScenario sets every shape up, then runs the rounds: a warm-up,
// then every participant of every shape once per round, in a shuffled
// order.
func (b *bench) shapesScenario() error {
	res := &shapesResult{rounds: b.opts.shapeRounds, size: b.shapeSize}
	b.res.shapes = res
	var steps []shapeStep
	for _, kind := range projectShapes {
		proj, err := b.setUpShape(kind)
		if err != nil {
			return fmt.Errorf("shapes: %s: %w", kind.name(), err)
		}
		defer proj.live.shutdown()
		defer proj.fbLive.shutdown()
		defer proj.stopPolled()
		rows, s := b.shapeSteps(proj)
		res.rows = append(res.rows, rows...)
		steps = append(steps, s...)
		fb, s := b.fallbackSteps(proj)
		res.fallback = append(res.fallback, fb)
		steps = append(steps, s...)
	}
	rng := rand.New(rand.NewPCG(15, uint64(time.Now().UnixNano())))
	for r := -1; r < res.rounds; r++ {
		if r < 0 {
			b.logf("shapes: warm-up round")
		} else {
			b.logf("shapes: round %d/%d", r+1, res.rounds)
		}
		for _, i := range rng.Perm(len(steps)) {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			p := steps[i]
			if r < 0 && b.opts.quick && !p.warm {
				continue // a smoke run warms up only what it cannot go without
			}
			tok := fmt.Sprintf("k%02d-%06d", r+1, time.Now().UnixNano()%1e6)
			s := p.round(tok)
			if r >= 0 {
				p.s.samples = append(p.s.samples, s)
			}
			if !s.ok {
				b.logf("  %s: %s", p.s.label, s.err)
			}
		}
	}
	return nil
}

// shapeSteps returns a shape's rows, in report order, and the steps that
// fill them: for each of the two edits golive's running session in both
// forms, the floor with golive's flags and the hand build in both; and a
// new session's first save in both forms, whose floors are the exported
// constant's. Each form has saves of its own, so both see the same edits
// the same number of times.
func (b *bench) shapeSteps(proj *shapeProject) ([]*shapeRow, []shapeStep) {
	var rows []*shapeRow
	var steps []shapeStep
	name := proj.kind.name()
	for _, edit := range []string{editBody, editExport} {
		row := &shapeRow{shape: proj.kind, edit: edit,
			golive:    &series{label: name + ", " + edit + ": golive"},
			fromBuild: &series{label: name + ", " + edit + ": golive, polled from its start"},
			floor:     &series{label: name + ", " + edit + ": floor", floor: true},
			hand:      &series{label: name + ", " + edit + ": compile-and-link floor", floor: true},
			polled:    &series{label: name + ", " + edit + ": compile-and-link floor, polled", floor: true},
			compiled:  proj.builds[edit].packages(),
		}
		rows = append(rows, row)
		fl, hand, polled := proj.floor, proj.hand[edit], proj.polled[edit]
		steps = append(steps,
			shapeStep{s: row.golive, round: func(tok string) sample { return b.liveRound(proj, edit, tok, fromSave) }},
			shapeStep{s: row.fromBuild, round: func(tok string) sample { return b.liveRound(proj, edit, tok, fromStart) }},
			shapeStep{s: row.floor, round: func(tok string) sample {
				return b.shapeFloorRound(fl, edit, tok, func() (time.Duration, error) { return b.goBuild(fl.fx.dir, goliveFlags(), fl.bin) })
			}},
			shapeStep{s: row.hand, round: func(tok string) sample {
				return b.shapeFloorRound(hand, edit, tok, func() (time.Duration, error) { return proj.builds[edit].run(b) })
			}},
			shapeStep{s: row.polled, round: func(tok string) sample { return b.polledHandRound(polled, edit, tok, proj.pbuilds[edit]) }, warm: true},
		)
	}
	ex := rows[1]
	first := &shapeRow{shape: proj.kind, edit: editFirst, floor: ex.floor, hand: ex.hand, polled: ex.polled, compiled: ex.compiled,
		golive:    &series{label: name + ", " + editFirst + ": golive"},
		fromBuild: &series{label: name + ", " + editFirst + ": golive, polled from its start"},
	}
	// The warm-up's session is the copy's first: it keeps the recipe the
	// first timed session takes up. Both forms' sessions start in that
	// copy, each on the recipe the session before kept.
	steps = append(steps,
		shapeStep{s: first.golive, round: func(tok string) sample { return b.sessionRound(proj, tok, fromSave) }, warm: true},
		shapeStep{s: first.fromBuild, round: func(tok string) sample { return b.sessionRound(proj, tok, fromStart) }},
	)
	return append(rows, first), steps
}

// setUpShape writes a shape's copies, warms go's cache in the floors' and
// captures each edit's compile and link, then starts golive's running
// session in its copy (its first build compiles every package there).
func (b *bench) setUpShape(kind projectShape) (_ *shapeProject, err error) {
	b.logf("shapes: setting up the %s", kind.name())
	p := &shapeProject{kind: kind, hand: map[string]*shapeCopy{}, builds: map[string]*handBuild{},
		polled: map[string]*shapeCopy{}, pbuilds: map[string]*handBuild{}}
	defer func() {
		if err != nil && p.live != nil {
			p.live.shutdown()
		}
		if err != nil && p.fbLive != nil {
			p.fbLive.shutdown()
		}
	}()
	newCopy := func(role string) (*shapeCopy, error) {
		name := "shape-" + kind.tag() + "-" + role
		fx, err := newShapeFixture(b.ctx, filepath.Join(b.work, "fx-"+name), kind, b.shapeSize, childEnv(b.keepGOFLAGS))
		if err != nil {
			return nil, err
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		return &shapeCopy{fx: fx, port: port, c: newClient(port), bin: filepath.Join(b.work, "bin-"+name)}, nil
	}
	live, err := newCopy("golive")
	if err != nil {
		return nil, err
	}
	if p.session, err = newCopy("session"); err != nil {
		return nil, err
	}
	if p.floor, err = newCopy("floor"); err != nil {
		return nil, err
	}
	if _, err := b.goBuild(p.floor.fx.dir, goliveFlags(), p.floor.bin); err != nil {
		return nil, err
	}
	capture := func(role, edit string) (*shapeCopy, *handBuild, error) {
		c, err := newCopy(role + "-" + editTag(edit))
		if err != nil {
			return nil, nil, err
		}
		if _, err := b.goBuild(c.fx.dir, goliveFlags(), c.bin); err != nil {
			return nil, nil, err
		}
		if err := c.fx.save(edit, "capture"); err != nil {
			return nil, nil, err
		}
		edited := filepath.Join(c.fx.edit, editTag(edit)+".go")
		gotmp := filepath.Join(b.work, "gotmp-shape-"+kind.tag()+"-"+role+"-"+editTag(edit))
		if err := os.MkdirAll(gotmp, 0o755); err != nil {
			return nil, nil, err
		}
		h, err := b.captureHandBuild(c.fx.dir, goliveFlags(), edited, edit != editBody, gotmp, c.bin)
		return c, h, err
	}
	for _, edit := range []string{editBody, editExport} {
		if p.hand[edit], p.builds[edit], err = capture("hand", edit); err != nil {
			return nil, err
		}
		if p.polled[edit], p.pbuilds[edit], err = capture("polled", edit); err != nil {
			return nil, err
		}
	}
	fbLive, err := newCopy("fallback-golive")
	if err != nil {
		return nil, err
	}
	if p.fbLiveCopy, err = newFallbackCopy(fbLive); err != nil {
		return nil, err
	}
	fbFloor, err := newCopy("fallback-floor")
	if err != nil {
		return nil, err
	}
	if p.fbFloor, err = newFallbackCopy(fbFloor); err != nil {
		return nil, err
	}
	if _, err := b.goBuild(fbFloor.fx.dir, goliveFlags(), fbFloor.bin); err != nil {
		return nil, err
	}
	// golive starts last, on files written seconds before as a user's
	// are: a file written while its first build runs (go mod vendor's
	// modules.txt) would make it build again and distrust the recipe.
	p.liveFx = live.fx
	p.live = b.shapeGolive(live, "shapes, "+kind.name(), "events-shape-"+kind.tag()+"-golive.jsonl")
	launched, _, err := p.live.launch(b.ctx, b, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	if _, err := p.live.events.waitFor(b.ctx, "watching", launched, b.opts.roundTimeout); err != nil {
		return nil, err
	}
	p.fbLive = b.shapeGolive(fbLive, "shapes fallback, "+kind.name(), "events-shape-"+kind.tag()+"-fallback.jsonl")
	if launched, _, err = p.fbLive.launch(b.ctx, b, 5*time.Minute); err != nil {
		return nil, err
	}
	if _, err := p.fbLive.events.waitFor(b.ctx, "watching", launched, b.opts.roundTimeout); err != nil {
		return nil, err
	}
	return p, nil
}

// shapeGolive is the tree's golive on a shapes copy, writing its events to
// the file events in the work directory.
func (b *bench) shapeGolive(c *shapeCopy, setting, events string) *watcherTool {
	t := &watcherTool{
		name: "golive", setting: setting, fx: &fixture{dir: c.fx.dir}, port: c.port, c: c.c,
		starts: filepath.Join(b.work, "starts-"+sanitize(setting)+".log"),
		events: &eventLog{path: filepath.Join(b.work, events)},
	}
	t.argv = append([]string{b.golives[0].path, "-C", c.fx.dir, "--events", t.events.path}, b.opts.goliveArgs...)
	return t
}

// liveRound saves edit in the copy of golive's running session.
func (b *bench) liveRound(p *shapeProject, edit, token string, from pollFrom) sample {
	s := b.shapeSave(p.live, p.liveFx, edit, token, from)
	b.shapeRest()
	return s
}

// shapeRest waits after a save of a running golive session, for what
// golive does after a start (bench.settle; quickSettle in -quick).
func (b *bench) shapeRest() {
	if b.opts.quick {
		time.Sleep(quickSettle)
	} else {
		time.Sleep(b.settle())
	}
}

// sessionRound starts a new golive in the session copy, where it takes up
// the recipe the session before kept; once it watches the build's files
// and has stood for sessionQuiet, it times its first save, the exported
// constant, then stops it as a user does, which keeps the recipe for the
// next round. The warm-up round's session is the copy's first: its first
// build is go build.
func (b *bench) sessionRound(p *shapeProject, token string, from pollFrom) sample {
	p.sessions++
	t := b.shapeGolive(p.session, "shapes session, "+p.kind.name(), fmt.Sprintf("events-shape-%s-session-%d.jsonl", p.kind.tag(), p.sessions))
	defer t.shutdown()
	launched, _, err := t.launch(b.ctx, b, 5*time.Minute)
	if err != nil {
		return sample{err: err.Error()}
	}
	// golive says when it watches the build's files: a save before that
	// may go unseen.
	if _, err := t.events.waitFor(b.ctx, "watching", launched, b.opts.roundTimeout); err != nil {
		return sample{err: err.Error()}
	}
	time.Sleep(sessionQuiet)
	s := b.shapeSave(t, p.session.fx, editExport, token, from)
	if oks := t.events.after(launched, "build_ok"); len(oks) > 0 {
		s.startReplayed = oks[0].Replayed
	}
	return s
}

// shapeSave saves edit in golive's copy and polls for the new answer,
// from the save on or from the new program's start on.
func (b *bench) shapeSave(t *watcherTool, fx *shapeFixture, edit, token string, from pollFrom) sample {
	if err := fx.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	if from == fromStart {
		if err := b.awaitStart(t.events, saved); err != nil {
			return sample{err: err.Error()}
		}
	}
	at, err := t.c.waitFor(b.ctx, answerPath(edit), token, b.opts.roundTimeout, nil)
	if err != nil {
		return sample{err: err.Error()}
	}
	s := sample{ok: true, total: at.Sub(saved)}
	s.parts, s.replayed = b.goliveSplit(t.events, saved, at)
	return s
}

// awaitStart waits for the start of the program golive built for a
// save made at saved, watching the events file only: the new program
// cannot answer before it starts, and a poll of the old one while golive
// stops it would take the stop's and the start's CPU.
func (b *bench) awaitStart(ev *eventLog, saved time.Time) error {
	e, err := ev.waitBuilt(b.ctx, saved, b.opts.roundTimeout)
	if err != nil {
		return err
	}
	if e.Type != "build_ok" {
		return errors.New("golive's build failed")
	}
	_, err = ev.waitFirst(b.ctx, e.Time, b.opts.roundTimeout, "start")
	return err
}

// shapeFloorRound is a floor by hand on c's copy: save edit, build (go
// build, or the hand build), start the binary, poll until it answers.
func (b *bench) shapeFloorRound(c *shapeCopy, edit, token string, build func() (time.Duration, error)) sample {
	os.Remove(c.bin)
	if err := c.fx.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	d, err := build()
	if err != nil {
		return sample{err: err.Error()}
	}
	started := time.Now()
	p, err := b.startBinary(c.bin, c.fx.dir, c.port)
	if err != nil {
		return sample{err: err.Error()}
	}
	defer p.stop(syscall.SIGKILL, 0)
	at, err := c.c.waitFor(b.ctx, answerPath(edit), token, b.opts.roundTimeout, nil)
	if err != nil {
		return sample{err: err.Error()}
	}
	return sample{ok: true, total: at.Sub(saved), parts: map[string]time.Duration{partBuild: d, partAnswer: at.Sub(started)}}
}

// stopPolled stops the polled floors' programs.
func (p *shapeProject) stopPolled() {
	for _, c := range p.polled {
		if c.running != nil {
			c.running.stop(syscall.SIGKILL, 0)
			c.running = nil
		}
	}
}

// polledHandRound is the hand build in golive's sequence: the previous
// round's program keeps serving and is polled from the save on, as
// golive's is; once the build is done it is stopped and the new binary,
// renamed out of the link's way as golive's is, started. What it costs
// beside the plain hand floor is the measurement's polling and the stop.
// The warm-up round starts the first program.
func (b *bench) polledHandRound(c *shapeCopy, edit, token string, h *handBuild) sample {
	if err := c.fx.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	type answer struct {
		at  time.Time
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		at, err := c.c.waitFor(b.ctx, answerPath(edit), token, b.opts.roundTimeout, nil)
		answered <- answer{at, err}
	}()
	bd, err := h.run(b)
	if err != nil {
		return sample{err: err.Error()}
	}
	run := c.bin + "-" + token
	if err := os.Rename(c.bin, run); err != nil {
		return sample{err: err.Error()}
	}
	parts := map[string]time.Duration{partBuild: bd}
	if d, ok := retire(&c.running); ok {
		parts[partStop] = d
	}
	started := time.Now()
	p, err := b.startBinary(run, c.fx.dir, c.port)
	if err != nil {
		return sample{err: err.Error()}
	}
	c.running = p
	a := <-answered
	if a.err != nil {
		return sample{err: a.err.Error()}
	}
	parts[partAnswer] = a.at.Sub(started)
	return sample{ok: true, total: a.at.Sub(saved), parts: parts}
}

// reportShapes prints the scenario's table: two lines per shape and
// edit, one per form of golive's saves.
func reportShapes(w io.Writer, b *bench) {
	r := b.res.shapes
	if r == nil {
		return
	}
	flags := strings.Join(goliveFlags(), " ")
	fmt.Fprintf(w, "### Shapes: save → serving in four kinds of project (ms, %d interleaved rounds after a warm-up)\n\n", r.rounds)
	fmt.Fprintf(w, "| shape | edit | golive polled from | golive (its build) | floor: `go build %s` (its build) | compile-and-link floor (compile, link) | the same, polled from the save (its build) | golive ÷ floor (target ≤ %.2f×) | golive ÷ compile-and-link (target ≤ %.2f×) | golive ÷ polled compile-and-link | both targets | golive's builds replayed | ok |\n", flags, targetFloor, targetHand)
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
	for _, row := range r.rows {
		shapeLine(w, row, fromSave)
		shapeLine(w, row, fromStart)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Medians; a cell's build is the median of golive's `build_ok.duration_ms`, of `go build`'s wall time, or of the hand build's compiles and link together (how many compiles, + the link). Shapes, each with the same server (main, a package `edit` it imports, a package `front` beside edit that imports it too, %d internal packages of %d files, %d packages in each other module):\n\n", r.size.Packages, r.size.Files, r.size.Libs)
	for _, kind := range projectShapes {
		fmt.Fprintf(w, "- %s: %s\n", kind.name(), kind.about())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Edits: *%s* rewrites an unexported constant only the body of edit's `//go:noinline` Body reads; *%s* rewrites edit's exported constant, which main serves and front reads; *%s* is a new golive started on the recipe the session before kept, standing %v after its `watching` event, then the exported constant saved (its floors are that edit's). The compile-and-link floor runs, by hand and in order, the compiles and the link `go build -x -work` ran for the same edit once before the rounds, with its work directory's import configs and archives kept: for *%s* the edited package's compile alone, for *%s* every compile go build ran (%s). Its polled form does it as golive does, on a copy of its own: the previous round's program keeps serving and is polled every 2 ms from the save on, as golive's is, while the commands run; then it is stopped (SIGTERM, wait) and the new binary, renamed out of the link's way, started. Its difference from the plain one is what the measurement's polling and the stop cost any tool.\n\n",
		editBody, editExport, editFirst, sessionQuiet, editBody, editExport, compiledOf(r))
	defer reportFallback(w, r)
	defer reportShapeParts(w, r)
	fmt.Fprintf(w, "golive's saves are timed in two forms, each with saves of its own in the same rounds, as many and of the same edits. *Polled from the save*: the old program keeps serving and is asked every 2 ms from the save on, as in the other scenarios; on 2 cores those requests take CPU from golive's compiles and link, so its like-for-like floor is the polled compile-and-link floor. *Polled from its start*: the benchmark asks nothing of the program until golive's events file (watched with inotify, read when golive writes it) shows the save's `build_ok` and then the new program's `start`, then asks every 2 ms until the new answer; the time is still save → that answer. The new program cannot serve before it starts, so this form loses none of golive's time and leaves its build and the old program's stop as quiet as the plain compile-and-link floor's build, which polls from its own start, as a user's browser does (it does not poll during a build): its ratios are the ones to read against issue 15's targets, and it has no polled ratio.\n\n")
}

// shapeLine prints one form of golive's saves of a row, with the row's
// floors; the polled floor's ratio only for golive polled from the save,
// as that floor is.
func shapeLine(w io.Writer, row *shapeRow, from pollFrom) {
	gs := row.form(from)
	g, f, h, pl := gs.totals(), row.floor.totals(), row.hand.totals(), row.polled.totals()
	met := "–"
	if g.n > 0 && f.n > 0 && h.n > 0 {
		met = yes(meetsTargets(g.med, f.med, h.med))
	}
	polled := "–"
	if from == fromSave {
		polled = ratio(g.med, pl.med)
	}
	replayed := replayedOf(gs)
	if row.edit == editFirst {
		replayed = "save " + replayed + "; session start " + startsReplayedOf(gs)
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", row.shape.name(), row.edit, from.name(),
		withBuild(gs, ""), withBuild(row.floor, ""), withBuild(row.hand, fmt.Sprintf("%d + 1", len(row.compiled))), withBuild(row.polled, ""),
		ratio(g.med, f.med), ratio(g.med, h.med), polled, met, replayed, g.n, g.of)
}

// form is the row's golive saves polled from from.
func (row *shapeRow) form(from pollFrom) *series {
	if from == fromStart {
		return row.fromBuild
	}
	return row.golive
}

// name is the form in the report.
func (from pollFrom) name() string {
	if from == fromStart {
		return "its start"
	}
	return "the save"
}

// meetsTargets reports whether golive's median g meets both of issue 15's
// targets, over the floor with golive's flags f and the hand floor h.
func meetsTargets(g, f, h time.Duration) bool {
	return float64(g) <= targetFloor*float64(f) && float64(g) <= targetHand*float64(h)
}

// failures lists the rounds that failed, one note each.
func (r *shapesResult) failures() []string {
	var notes []string
	for _, row := range r.rows {
		all := []*series{row.golive, row.fromBuild, row.floor, row.hand, row.polled}
		if row.edit == editFirst {
			all = all[:2] // its floors are the exported constant's row's
		}
		for _, s := range all {
			for i, x := range s.samples {
				if !x.ok {
					notes = append(notes, fmt.Sprintf("shapes round %d, %s: %s", i+1, s.label, x.err))
				}
			}
		}
	}
	return append(notes, r.fallbackFailures()...)
}

// withBuild is a series' median total with its median build in
// parentheses, prefixed by what when given.
func withBuild(s *series, what string) string {
	st := s.totals()
	if st.n == 0 {
		return "–"
	}
	bd, ok := s.part(partBuild)
	if !ok {
		return ms(st.med)
	}
	if what != "" {
		return fmt.Sprintf("%s (%s: %s)", ms(st.med), what, ms(bd.med))
	}
	return fmt.Sprintf("%s (%s)", ms(st.med), ms(bd.med))
}

// startsReplayedOf counts the timed sessions whose first build replayed
// the kept recipe.
func startsReplayedOf(s *series) string {
	return countOf(s, func(x sample) bool { return x.startReplayed })
}

// compiledOf names the packages the export edit's hand builds compile,
// once per shape.
func compiledOf(r *shapesResult) string {
	var parts []string
	for _, row := range r.rows {
		if row.edit == editExport {
			parts = append(parts, row.shape.name()+": "+strings.Join(row.compiled, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// shapesSummary is the summary's clause on the scenario.
func shapesSummary(r *shapesResult) string {
	rep, of := 0, 0
	for _, row := range r.rows {
		for _, s := range []*series{row.golive, row.fromBuild} {
			for _, x := range s.samples {
				if x.ok {
					of++
					if x.replayed {
						rep++
					}
				}
			}
		}
	}
	sum := fmt.Sprintf("shapes: golive polled from the save %s, polled from its start %s, %d of %d saves replayed",
		ratiosOf(r.rows, fromSave).clause(true), ratiosOf(r.rows, fromStart).clause(false), rep, of)
	if fb := fallbackSummary(r); fb != "" {
		sum += "; " + fb
	}
	return sum
}

// shapeRatios is one form of golive's saves over each floor, a value per
// row whose every series has samples.
type shapeRatios struct {
	hand, floor, polled []float64
	met                 int // rows that meet both targets
}

func ratiosOf(rows []*shapeRow, from pollFrom) shapeRatios {
	var rs shapeRatios
	for _, row := range rows {
		g, f, h, pl := row.form(from).totals(), row.floor.totals(), row.hand.totals(), row.polled.totals()
		if g.n == 0 || f.n == 0 || h.n == 0 || pl.n == 0 {
			continue
		}
		rs.hand = append(rs.hand, float64(g.med)/float64(h.med))
		rs.floor = append(rs.floor, float64(g.med)/float64(f.med))
		rs.polled = append(rs.polled, float64(g.med)/float64(pl.med))
		if meetsTargets(g.med, f.med, h.med) {
			rs.met++
		}
	}
	return rs
}

// clause says the ratios' ranges, with the polled floor's when polled.
func (rs shapeRatios) clause(polled bool) string {
	if len(rs.hand) == 0 {
		return "no row complete"
	}
	hand := span(rs.hand) + " the compile-and-link floor"
	if polled {
		hand += " (" + span(rs.polled) + " its polled form)"
	}
	return fmt.Sprintf("%s and %s the floor with its flags over %d rows, both of issue 15's targets met in %d",
		hand, span(rs.floor), len(rs.hand), rs.met)
}

// span is the range of ratios xs.
func span(xs []float64) string {
	return fmt.Sprintf("%.2f–%.2f×", slices.Min(xs), slices.Max(xs))
}

// reportShapeParts prints where the time of golive's saves polled from
// their start goes, beside the plain compile-and-link floor's time from
// its build to its answer: what golive spends outside its build.
func reportShapeParts(w io.Writer, r *shapesResult) {
	fmt.Fprintf(w, "### Shapes: where golive's time goes, polled from its start (medians in ms)\n\n")
	fmt.Fprintln(w, "| shape | edit | save → build_start | build | stop the old program | start → first answer | rest | outside the build | compile-and-link floor: start → first answer |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.rows {
		cells := []string{row.shape.name(), row.edit}
		for _, name := range partOrder {
			cells = append(cells, partCell(row.fromBuild, name))
		}
		cells = append(cells, outsideBuild(row.fromBuild), partCell(row.hand, partAnswer))
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Each part is the median of that part over the saves, so the parts need not add up to the total. From golive's events: save → `build_start`; the build is `build_ok.duration_ms`; the stop is the `stop` event's duration; start → first answer is from the `start` event to the answer; the rest is what is left of each save's total (the stop's hand-off to the new start, the rename, the gaps between events). *Outside the build* is each save's total less its build. The compile-and-link floor has no quiet window and no old program: after its commands it starts the binary and polls it from then on.")
	fmt.Fprintln(w)
}

// partCell is a series' median of one part, or a dash.
func partCell(s *series, name string) string {
	st, ok := s.part(name)
	if !ok {
		return "–"
	}
	return ms(st.med)
}

// outsideBuild is the median of each save's total less its build.
func outsideBuild(s *series) string {
	var ds []time.Duration
	for _, x := range s.samples {
		if b, ok := x.parts[partBuild]; x.ok && ok {
			ds = append(ds, x.total-b)
		}
	}
	st := statsOf(ds, len(s.samples))
	if st.n == 0 {
		return "–"
	}
	return ms(st.med)
}
