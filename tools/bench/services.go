//go:build linux

package main

import (
	"context"
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

// The services scenario (issue 13): a save of the package two services
// import (servicefixture.go), in one golive running both as [[service]]
// blocks, timed from the save to the second program serving the new
// value; against the same edit built by hand as a user without golive
// builds it: go build of a, then of b; and one go build of both, the
// floor. golive's events give each service's builds, replays and starts
// per save. A second save of the shared package adds an import no replay
// can follow, so both services need go build, which golive runs as one go
// command. A third edit, of a package only a imports, must restart a
// alone: b keeps its pid and starts nothing. Only the golive built from
// the tree runs it.
//
// The plain floors have no program running during their build. golive's
// old programs serve on, polled every 2 ms, while it builds: on 2 cores
// that polling costs the build. The polled floors are golive's sequence
// by hand under that same load (svcPolledRound).

// The scenario's edits, in report order.
const (
	svcEditShared = "shared package"
	svcEditImport = "shared package, a new import"
	svcEditOwn    = "a's own package"
)

// servicesResult is the scenario: a row per edit.
type servicesResult struct {
	rounds int
	warmUp bool // the rounds came after a warm-up round (not in -quick)
	size   shape
	rows   []*svcRow
	settle time.Duration // a round's wait after the answer (bench.settle)
}

// svcRow is one edit: golive's saves and the floors of the same edit in
// the same rounds.
type svcRow struct {
	edit   string
	golive *series
	// floors, in svcParticipants' order: for the shared package, two go
	// builds one after the other, one go build of both, and that polled;
	// for the new import, two go builds side by side, polled, one go
	// build of both, polled, and one go build of both; for a's own
	// package, go build of a.
	floors []*series
}

// svcCounts is what golive's events say about one save, per service.
type svcCounts struct {
	builds, starts map[string]int
	replayed       map[string]bool          // its first build after the save replayed
	build          map[string]time.Duration // its first build_ok's duration_ms
	later          time.Duration            // the duration of the build that ended last
	oneGo          map[string]bool          // it said one go command built it with the other
	pidKept        bool                     // a's own package: b's /pid the same after as before
}

// untouched reports whether service name neither built nor started.
func (c *svcCounts) untouched(name string) bool {
	return c.builds[name] == 0 && c.starts[name] == 0
}

// svcCopy is a copy of the project: its programs' ports, and the
// directory its floor's binaries go to.
type svcCopy struct {
	fx      *serviceFixture
	ports   map[string]int
	clients map[string]*client
	bin     string
	// running: a polled floor's programs, started by the round before
	// (set-up for the first); nil for the other copies.
	running map[string]*proc
}

// svcProject is the scenario's copies: golive's, and one per floor.
type svcProject struct {
	live     *watcherTool
	liveCopy *svcCopy
	// the shared package's floors, then a's own package's
	two, one, onePolled, a *svcCopy
	// the new import's floors
	impTwoPolled, impOnePolled, impOne *svcCopy
}

// stop ends golive and the polled floors' programs.
func (p *svcProject) stop() {
	if p.live != nil {
		p.live.shutdown()
	}
	for _, c := range []*svcCopy{p.onePolled, p.impTwoPolled, p.impOnePolled} {
		if c == nil {
			continue
		}
		for _, r := range c.running {
			r.stop(syscall.SIGKILL, 0)
		}
	}
}

// save makes edit in the copy with value v.
func (c *svcCopy) save(edit, v string) error {
	switch edit {
	case svcEditShared:
		return c.fx.setShared(v)
	case svcEditImport:
		return c.fx.setImport(v)
	}
	return c.fx.setOwn("a", v)
}

// clientsOf is the copy's clients of the services names.
func (c *svcCopy) clientsOf(names []string) []*client {
	var out []*client
	for _, name := range names {
		out = append(out, c.clients[name])
	}
	return out
}

// svcServed is the services an edit changes, and the path each answers
// the edited constant on.
func svcServed(edit string) (names []string, path string) {
	if edit == svcEditOwn {
		return []string{"a"}, "/own"
	}
	return serviceNames, "/version"
}

// servicesScenario sets the copies up, then runs the rounds: a warm-up
// (not in -quick), then -n (-quick: one), every participant once per
// round in a shuffled order.
func (b *bench) servicesScenario() error {
	res := &servicesResult{rounds: b.svcRounds, size: b.svcShape, settle: b.settle()}
	b.res.services = res
	p, err := b.setUpServices()
	defer p.stop()
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	var steps []shapeStep
	res.rows, steps = b.svcParticipants(p)
	// A -quick run has no warm-up: every copy was built before the rounds,
	// and golive's first save replays as the others do.
	first := -1
	if b.opts.quick {
		first = 0
	}
	res.warmUp = first < 0
	rng := rand.New(rand.NewPCG(13, uint64(time.Now().UnixNano())))
	for r := first; r < res.rounds; r++ {
		if r < 0 {
			b.logf("services: warm-up round")
		} else {
			b.logf("services: round %d/%d", r+1, res.rounds)
		}
		for _, i := range rng.Perm(len(steps)) {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			st := steps[i]
			s := st.round(fmt.Sprintf("s%02d-%06d", r+1, time.Now().UnixNano()%1e6))
			if r >= 0 {
				st.s.samples = append(st.s.samples, s)
			}
			if !s.ok {
				b.logf("  %s: %s", st.s.label, s.err)
			}
		}
	}
	return nil
}

// svcFloor is one floor of an edit: its label, its copy and its build.
type svcFloor struct {
	label string
	c     *svcCopy
	build func(*svcCopy) (time.Duration, error)
}

// svcParticipants is the scenario's rows, in report order, and a step
// per participant: golive's save of each edit, and each floor on its own
// copy, polled when its copy has programs running.
func (b *bench) svcParticipants(p *svcProject) ([]*svcRow, []shapeStep) {
	var rows []*svcRow
	var steps []shapeStep
	add := func(edit string, floors ...svcFloor) {
		row := &svcRow{edit: edit, golive: &series{label: edit + ": golive"}}
		rows = append(rows, row)
		steps = append(steps, shapeStep{s: row.golive, round: func(tok string) sample { return b.svcLiveRound(p, edit, tok) }})
		for _, f := range floors {
			s := &series{label: edit + ": " + f.label, floor: true}
			row.floors = append(row.floors, s)
			round := b.svcFloorRound
			if f.c.running != nil {
				round = b.svcPolledRound
			}
			steps = append(steps, shapeStep{s: s, round: func(tok string) sample { return round(f.c, edit, tok, f.build) }})
		}
	}
	add(svcEditShared,
		svcFloor{"two go builds, a then b", p.two, b.goBuildInTurn},
		svcFloor{"one go build of both (the floor)", p.one, b.goBuildBoth},
		svcFloor{"one go build of both, old programs polled", p.onePolled, b.goBuildBoth})
	add(svcEditImport,
		svcFloor{"two go builds side by side, old programs polled", p.impTwoPolled, b.goBuildSideBySide},
		svcFloor{"one go build of both, old programs polled", p.impOnePolled, b.goBuildBoth},
		svcFloor{"one go build of both", p.impOne, b.goBuildBoth})
	add(svcEditOwn,
		svcFloor{"go build of a (the floor)", p.a, func(c *svcCopy) (time.Duration, error) { return b.goBuildMain(c, "a") }})
	return rows, steps
}

// goBuildMain is go build of cmd/name into the copy's bin directory.
func (b *bench) goBuildMain(c *svcCopy, name string) (time.Duration, error) {
	return b.goBuildPackages(c.fx.dir, goliveFlags(), filepath.Join(c.bin, name), "./cmd/"+name)
}

// goBuildBoth is one go build of both mains: go build -o DIR/.
func (b *bench) goBuildBoth(c *svcCopy) (time.Duration, error) {
	return b.goBuildPackages(c.fx.dir, goliveFlags(), c.bin+string(filepath.Separator), "./cmd/a", "./cmd/b")
}

// goBuildInTurn is go build of a, then of b; its time is both builds'.
func (b *bench) goBuildInTurn(c *svcCopy) (time.Duration, error) {
	da, err := b.goBuildMain(c, "a")
	if err != nil {
		return 0, err
	}
	db, err := b.goBuildMain(c, "b")
	return da + db, err
}

// goBuildSideBySide starts go build of a and of b at the same time, as
// golive built its services before it ran one go command for them; its
// time is until the later is done.
func (b *bench) goBuildSideBySide(c *svcCopy) (time.Duration, error) {
	start := time.Now()
	errs := make(chan error, len(serviceNames))
	for _, name := range serviceNames {
		go func() {
			_, err := b.goBuildMain(c, name)
			errs <- err
		}()
	}
	var err error
	for range serviceNames {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return time.Since(start), err
}

// setUpServices writes the copies and builds the floors' (setUpFloors),
// then starts golive in its copy and waits until both services serve and
// watch their builds' files. The project it returns is never nil: stop
// it even after an error.
func (b *bench) setUpServices() (*svcProject, error) {
	b.logf("services: setting up (each main: %d internal packages of %d files)", b.svcShape.Packages, b.svcShape.Files)
	p := &svcProject{}
	if err := b.setUpFloors(p); err != nil {
		return p, err
	}
	// golive starts last, on files written seconds before, as a user's are.
	c, err := b.newSvcCopy("golive", svcGoliveConfig)
	if err != nil {
		return p, err
	}
	p.liveCopy = c
	p.live = &watcherTool{
		name: "golive", setting: "services", fx: &fixture{dir: c.fx.dir}, port: c.ports["a"], c: c.clients["a"],
		starts: filepath.Join(b.work, "starts-services-golive.log"),
		events: &eventLog{path: filepath.Join(b.work, "events-services-golive.jsonl")},
	}
	// -v: golive says, per service, when one go command built it with
	// the other, which the import edit counts.
	p.live.argv = append([]string{b.golives[0].path, "-C", c.fx.dir, "--events", p.live.events.path, "-v"}, b.opts.goliveArgs...)
	b.logf("services: starting golive: %s", strings.Join(p.live.argv, " "))
	launched, _, err := p.live.launch(b.ctx, b, 5*time.Minute)
	if err != nil {
		return p, err
	}
	if _, err := c.clients["b"].waitFor(b.ctx, "/version", "", b.opts.roundTimeout, nil); err != nil {
		return p, fmt.Errorf("golive's service b: %w; see %s", err, p.live.logPath)
	}
	// A save before a service watches its build's files may go unseen,
	// or be taken by the other service too.
	return p, b.waitWatching(p.live.events, launched)
}

// setUpFloors writes the floors' copies and builds each once (its
// packages compiled in its directory). A polled copy's programs start
// then: its first round has old programs to poll and stop, as golive's
// first save has.
func (b *bench) setUpFloors(p *svcProject) error {
	both := []string{"./cmd/a", "./cmd/b"}
	for _, f := range []struct {
		c      **svcCopy
		role   string
		pkgs   []string
		polled bool
	}{
		{&p.two, "two", both, false},
		{&p.one, "one", both, false},
		{&p.onePolled, "one-polled", both, true},
		{&p.impTwoPolled, "import-two-polled", both, true},
		{&p.impOnePolled, "import-one-polled", both, true},
		{&p.impOne, "import-one", both, false},
		{&p.a, "a", []string{"./cmd/a"}, false},
	} {
		c, err := b.newSvcCopy(f.role, nil)
		if err != nil {
			return err
		}
		*f.c = c
		if _, err := b.goBuildPackages(c.fx.dir, goliveFlags(), c.bin+string(filepath.Separator), f.pkgs...); err != nil {
			return err
		}
		if f.polled {
			if err := b.startPolled(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// newSvcCopy writes a copy of the project for role, with free ports and
// config's .reload.toml (none when config is nil).
func (b *bench) newSvcCopy(role string, config func(ports map[string]int) string) (*svcCopy, error) {
	c := &svcCopy{ports: map[string]int{}, clients: map[string]*client{}, bin: filepath.Join(b.work, "bin-services-"+role)}
	for _, name := range serviceNames {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c.ports[name], c.clients[name] = port, newClient(port)
	}
	cfg := ""
	if config != nil {
		cfg = config(c.ports)
	}
	var err error
	c.fx, err = newServiceFixture(filepath.Join(b.work, "fx-services-"+role), b.svcShape, cfg, !b.opts.noGit)
	return c, err
}

// startPolled starts a polled copy's programs from set-up's build and
// waits until they answer.
func (b *bench) startPolled(c *svcCopy) error {
	c.running = map[string]*proc{}
	if err := b.swap(c, serviceNames, "setup"); err != nil {
		return err
	}
	_, err := b.waitServing(b.ctx, c.clientsOf(serviceNames), "/version", "")
	return err
}

// svcGoliveConfig is golive's .reload.toml: a [[service]] block per
// main, each with its port.
func svcGoliveConfig(ports map[string]int) string {
	var sb strings.Builder
	for _, name := range serviceNames {
		fmt.Fprintf(&sb, "[[service]]\nname = %q\npackage = \"./cmd/%s\"\nenv = { PORT = \"%d\" }\n\n", name, name, ports[name])
	}
	return sb.String()
}

// waitWatching waits until every service has written its watching event
// after since.
func (b *bench) waitWatching(ev *eventLog, since time.Time) error {
	deadline := time.Now().Add(b.opts.roundTimeout)
	for {
		ev.refresh()
		seen := map[string]bool{}
		for _, e := range ev.after(since, "watching") {
			seen[e.Service] = true
		}
		var missing []string
		for _, name := range serviceNames {
			if !seen[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("golive's services %s wrote no watching event within %v", strings.Join(missing, ", "), b.opts.roundTimeout)
		}
		select {
		case <-b.ctx.Done():
			return b.ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// answer is when a poll got its answer, or why it did not.
type answer struct {
	at  time.Time
	err error
}

// waitServing polls path on every client every 2 ms until each answers
// want (anything when want is ""), and returns when the last one did.
func (b *bench) waitServing(ctx context.Context, clients []*client, path, want string) (time.Time, error) {
	answers := make(chan answer, len(clients))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, c := range clients {
		go func() {
			at, err := c.waitFor(ctx, path, want, b.opts.roundTimeout, nil)
			answers <- answer{at, err}
		}()
	}
	var last time.Time
	var err error
	for range clients {
		a := <-answers
		if a.err != nil && err == nil {
			err = a.err
			cancel() // the others need not wait for their time-out
		}
		if a.at.After(last) {
			last = a.at
		}
	}
	return last, err
}

// svcLiveRound saves edit in golive's copy and times the save to the last
// service it changes serving the new value; then, after settle (for late
// builds and restarts), reads what each service did from golive's events.
// For a's own package it also asks b for its pid before and after.
func (b *bench) svcLiveRound(p *svcProject, edit, token string) sample {
	c := p.liveCopy
	pidB, _ := c.clients["b"].get("/pid")
	if err := c.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	names, path := svcServed(edit)
	at, err := b.waitServing(b.ctx, c.clientsOf(names), path, token)
	if err != nil {
		return sample{err: err.Error()}
	}
	time.Sleep(b.settle())
	counts := svcCountsOf(p.live.events, saved)
	if now, ok := c.clients["b"].get("/pid"); ok && pidB != "" && now == pidB {
		counts.pidKept = true
	}
	s := sample{ok: true, total: at.Sub(saved), svc: counts, replayed: true, parts: map[string]time.Duration{}}
	for _, name := range names {
		s.replayed = s.replayed && counts.replayed[name]
	}
	if counts.later > 0 {
		s.parts[partBuild] = counts.later
	}
	return s
}

// svcCountsOf reads golive's events after saved, per service: builds
// started (a rule's or a plugin's excepted), program starts, the first
// build_ok's replayed and duration, and -v's word that one go command
// built it with the other.
func svcCountsOf(ev *eventLog, saved time.Time) *svcCounts {
	ev.refresh()
	c := &svcCounts{builds: map[string]int{}, starts: map[string]int{}, replayed: map[string]bool{},
		build: map[string]time.Duration{}, oneGo: map[string]bool{}}
	var last time.Time
	for _, e := range ev.after(saved, "") {
		switch e.Type {
		case "info":
			if strings.HasPrefix(e.Message, "one go build for") {
				c.oneGo[e.Service] = true
			}
		case "build_start":
			if e.Package != "rules" && e.Package != "plugin" {
				c.builds[e.Service]++
			}
		case "start":
			c.starts[e.Service]++
		case "build_ok":
			if _, seen := c.build[e.Service]; seen {
				continue
			}
			c.build[e.Service], c.replayed[e.Service] = e.duration(), e.Replayed
			if e.Time.After(last) {
				last, c.later = e.Time, e.duration()
			}
		}
	}
	return c
}

// svcFloorRound is a floor by hand on c's copy: save edit, build (build
// returns its time), start the programs the edit changes, poll each until
// it answers; the time is the last answer's.
func (b *bench) svcFloorRound(c *svcCopy, edit, token string, build func(*svcCopy) (time.Duration, error)) sample {
	names, path := svcServed(edit)
	for _, name := range names {
		os.Remove(filepath.Join(c.bin, name))
	}
	if err := c.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	d, err := build(c)
	if err != nil {
		return sample{err: err.Error()}
	}
	for _, name := range names {
		p, err := b.startBinary(filepath.Join(c.bin, name), c.fx.dir, c.ports[name])
		if err != nil {
			return sample{err: err.Error()}
		}
		defer p.stop(syscall.SIGKILL, 0)
	}
	at, err := b.waitServing(b.ctx, c.clientsOf(names), path, token)
	if err != nil {
		return sample{err: err.Error()}
	}
	return sample{ok: true, total: at.Sub(saved), parts: map[string]time.Duration{partBuild: d}}
}

// svcPolledRound is golive's sequence by hand on c's copy: the programs
// of the round before keep serving and are polled every 2 ms from the
// save on, as golive's are during its build; once build is done, each is
// stopped and its new binary started (swap). The time is the last
// answer's. Beside svcFloorRound it adds the polling's CPU during the
// build and the stops.
func (b *bench) svcPolledRound(c *svcCopy, edit, token string, build func(*svcCopy) (time.Duration, error)) sample {
	names, path := svcServed(edit)
	for _, name := range names {
		os.Remove(filepath.Join(c.bin, name)) // not the running binaries: swap renamed those
	}
	if err := c.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel() // a failed build ends the polling
	answered := make(chan answer, 1)
	go func() {
		at, err := b.waitServing(ctx, c.clientsOf(names), path, token)
		answered <- answer{at, err}
	}()
	d, err := build(c)
	if err == nil {
		err = b.swap(c, names, token)
	}
	if err != nil {
		return sample{err: err.Error()}
	}
	a := <-answered
	if a.err != nil {
		return sample{err: a.err.Error()}
	}
	return sample{ok: true, total: a.at.Sub(saved), parts: map[string]time.Duration{partBuild: d}}
}

// swap stops each of names' running programs (retire) and starts its new
// binary, renamed to NAME-token first so that the next build writes NAME
// beside it while it runs, as golive moves its binaries out of go build's
// way. One service after the other, where golive's swap side by side: a
// stop and a start take milliseconds.
func (b *bench) swap(c *svcCopy, names []string, token string) error {
	for _, name := range names {
		run := filepath.Join(c.bin, name+"-"+token)
		if err := os.Rename(filepath.Join(c.bin, name), run); err != nil {
			return err
		}
		old := c.running[name]
		retire(&old)
		delete(c.running, name)
		p, err := b.startBinary(run, c.fx.dir, c.ports[name])
		if err != nil {
			return err
		}
		c.running[name] = p
	}
	return nil
}

// reportServices prints the scenario's table: a row per edit and
// participant.
func reportServices(w io.Writer, r *servicesResult) {
	if r == nil {
		return
	}
	warm := "after a warm-up"
	if !r.warmUp {
		warm = "no warm-up"
	}
	fmt.Fprintf(w, "### Services: a shared package's edit in two services, golive against go build (ms, %d interleaved rounds, %s)\n\n", r.rounds, warm)
	fmt.Fprintln(w, "| edit | participant | save → serving, median (min–max) | its build, median | golive ÷ it | golive's restarts per save: a, b | golive's builds per save: a, b | golive's builds replayed: a, b | golive's saves built by one go command for a and b | b untouched: same pid, no build, no start | ok |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---|---|---|---|---:|")
	for _, row := range r.rows {
		g := row.golive.totals()
		names, _ := svcServed(row.edit)
		fmt.Fprintf(w, "| %s | golive, one session running both | %s | %s | – | %s | %s | %s | %s | %s | %d/%d |\n", row.edit,
			medRange(g), svcBuildCell(row.golive, names), svcPerSave(row.golive, func(c *svcCounts, n string) int { return c.starts[n] }),
			svcPerSave(row.golive, func(c *svcCounts, n string) int { return c.builds[n] }), svcReplayed(row.golive, names), svcOneGo(row), svcUntouched(row), g.n, g.of)
		for _, f := range row.floors {
			st := f.totals()
			_, label, _ := strings.Cut(f.label, ": ")
			bd, _ := f.part(partBuild)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | – | – | – | – | – | %d/%d |\n", row.edit, label, medRange(st), ms(bd.med), ratio(g.med, st.med), st.n, st.of)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "One module, two mains (cmd/a, cmd/b), each an HTTP server on its own port importing `shared` (whose exported constant both serve), a package of its own (whose exported constant it serves) and %d internal packages of %d files of its own. golive runs both as `[[service]]` blocks in one session, with `-v`; each participant has its own copy. *shared package* saves shared's constant, timed to the second program serving it (both polled every 2 ms). *shared package, a new import* saves it together with an import golive's replay cannot follow (`strings` and `bytes` in turn, each kept by a use; *shared package* keeps the copy's last one), timed the same way: both services need go build, and *one go command* counts the saves after which both said, in `-v`'s line `one go build for ./cmd/a, ./cmd/b`, that a single go command built them. *a's own package* saves a's, timed to a serving it. %s golive's build is the duration_ms of the build that ended last (in parentheses, each service's); restarts, builds and replays per service come from its events, from the save to %v after the answer; b untouched counts the saves after which b answered the same `/pid` as before and had no build and no start.\n\n",
		r.size.Packages, r.size.Files, svcFloorsText(), r.settle)
}

// svcFloorsText is the report's sentences on the floors.
func svcFloorsText() string {
	return fmt.Sprintf("Floors, by hand, with golive's flags (`%s`): two go builds, `go build ./cmd/a` then `go build ./cmd/b` (their build: both together); two go builds side by side, the same two started at once, as golive built its services before it ran one go command for them (their build: until the later is done); one go build of both, `go build -o DIR/ ./cmd/a ./cmd/b`; go build of a, `go build ./cmd/a`. "+
		"The plain floors have no program running during their build, and start each program once it is done. *Old programs polled* is golive's sequence by hand: the programs of the round before keep serving and are polled every 2 ms from the save on, as golive's are during its build (on a machine of few cores that polling takes CPU from the build), the build writes beside their binaries, then each old program is stopped and its new one started.",
		strings.Join(goliveFlags(), " "))
}

// medRange is a median with its min–max.
func medRange(s stats) string {
	if s.n == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", ms(s.med), ms(s.min), ms(s.max))
}

// svcBuildCell is golive's median build (the later of the services'),
// with each service's median.
func svcBuildCell(s *series, names []string) string {
	bd, ok := s.part(partBuild)
	if !ok {
		return "–"
	}
	var each []string
	for _, name := range names {
		var ds []time.Duration
		for _, x := range s.samples {
			if !x.ok || x.svc == nil {
				continue
			}
			if d, ok := x.svc.build[name]; ok {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			each = append(each, name+" "+ms(statsOf(ds, 0).med))
		}
	}
	if len(names) < 2 {
		return ms(bd.med)
	}
	return fmt.Sprintf("%s (%s)", ms(bd.med), strings.Join(each, ", "))
}

// svcPerSave is the mean of count per timed save, for a and for b.
func svcPerSave(s *series, count func(*svcCounts, string) int) string {
	var out []string
	for _, name := range serviceNames {
		n, of := 0, 0
		for _, x := range s.samples {
			if x.ok && x.svc != nil {
				n += count(x.svc, name)
				of++
			}
		}
		if of == 0 {
			return "–"
		}
		out = append(out, fmt.Sprintf("%.1f", float64(n)/float64(of)))
	}
	return strings.Join(out, ", ")
}

// svcReplayed counts, for each service the edit changes, the saves whose
// build replayed.
func svcReplayed(s *series, names []string) string {
	var out []string
	for _, name := range serviceNames {
		if !slices.Contains(names, name) {
			out = append(out, "–")
			continue
		}
		n, of := 0, 0
		for _, x := range s.samples {
			if x.ok && x.svc != nil {
				of++
				if x.svc.replayed[name] {
					n++
				}
			}
		}
		out = append(out, fmt.Sprintf("%d of %d", n, of))
	}
	return strings.Join(out, ", ")
}

// svcOneGo counts the saves after which every service the edit changes
// said one go command built it; "–" for an edit of one service.
func svcOneGo(row *svcRow) string {
	names, _ := svcServed(row.edit)
	if len(names) < 2 {
		return "–"
	}
	return countOf(row.golive, func(x sample) bool {
		for _, name := range names {
			if x.svc == nil || !x.svc.oneGo[name] {
				return false
			}
		}
		return true
	})
}

// svcUntouched counts the saves of a's own package after which b kept
// its pid and neither built nor started.
func svcUntouched(row *svcRow) string {
	if row.edit != svcEditOwn {
		return "–"
	}
	n, of := 0, 0
	for _, x := range row.golive.samples {
		if x.ok && x.svc != nil {
			of++
			if x.svc.pidKept && x.svc.untouched("b") {
				n++
			}
		}
	}
	return fmt.Sprintf("%d of %d", n, of)
}

// failures lists the rounds that failed, one note each.
func (r *servicesResult) failures() []string {
	var notes []string
	for _, row := range r.rows {
		for _, s := range append([]*series{row.golive}, row.floors...) {
			for i, x := range s.samples {
				if !x.ok {
					notes = append(notes, fmt.Sprintf("services round %d, %s: %s", i+1, s.label, x.err))
				}
			}
		}
	}
	return notes
}

// row is the row of edit, or nil.
func (r *servicesResult) row(edit string) *svcRow {
	for _, row := range r.rows {
		if row.edit == edit {
			return row
		}
	}
	return nil
}

// servicesSummary is the summary's clause on the scenario.
func servicesSummary(r *servicesResult) string {
	shared, imp, own := r.row(svcEditShared), r.row(svcEditImport), r.row(svcEditOwn)
	if shared == nil || imp == nil || own == nil {
		return "services: did not run"
	}
	g := shared.golive.totals()
	if g.n == 0 {
		return "services: golive failed"
	}
	two, one, polled := shared.floors[0].totals(), shared.floors[1].totals(), shared.floors[2].totals()
	starts := svcPerSave(shared.golive, func(c *svcCounts, n string) int { return c.starts[n] })
	out := fmt.Sprintf("services: a shared package's edit served by both services in %s ms with golive = %s two go builds one after the other (%s ms) and %s one go build of both (%s ms, the floor; %s with the old programs polled, %s ms), restarts per save %s (a, b), builds replayed %s",
		ms(g.med), ratio(g.med, two.med), ms(two.med), ratio(g.med, one.med), ms(one.med), ratio(g.med, polled.med), ms(polled.med), starts, svcReplayed(shared.golive, serviceNames))
	if i := imp.golive.totals(); i.n > 0 {
		side, both := imp.floors[0].totals(), imp.floors[1].totals()
		out += fmt.Sprintf("; a new import in it %s ms = %s two go builds side by side (%s ms) and %s one go build of both (%s ms), the old programs polled in both, one go command in %s saves",
			ms(i.med), ratio(i.med, side.med), ms(side.med), ratio(i.med, both.med), ms(both.med), svcOneGo(imp))
	}
	if o := own.golive.totals(); o.n > 0 {
		out += fmt.Sprintf("; a's own package %s ms (%s go build of a), b untouched in %s", ms(o.med), ratio(o.med, own.floors[0].totals().med), svcUntouched(own))
	}
	return out
}
