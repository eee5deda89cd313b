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
// per save. A second edit, of a package only a imports, must restart a
// alone: b keeps its pid and starts nothing. Only the golive built from
// the tree runs it.

// The scenario's edits, in report order.
const (
	svcEditShared = "shared package"
	svcEditOwn    = "a's own package"
)

// servicesResult is the scenario: a row per edit.
type servicesResult struct {
	rounds int
	warmUp bool // the rounds came after a warm-up round (not in -quick)
	size   shape
	rows   []*svcRow
}

// svcRow is one edit: golive's saves and the floors of the same edit in
// the same rounds.
type svcRow struct {
	edit   string
	golive *series
	// floors: for the shared package, two go builds one after the other
	// and one go build of both; for a's own package, go build of a.
	floors []*series
}

// svcCounts is what golive's events say about one save, per service.
type svcCounts struct {
	builds, starts map[string]int
	replayed       map[string]bool          // its first build after the save replayed
	build          map[string]time.Duration // its first build_ok's duration_ms
	later          time.Duration            // the duration of the build that ended last
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
}

// svcProject is the scenario's copies: golive's, and one per floor.
type svcProject struct {
	live        *watcherTool
	liveCopy    *svcCopy
	two, one, a *svcCopy
}

// save makes edit in the copy with value v.
func (c *svcCopy) save(edit, v string) error {
	if edit == svcEditShared {
		return c.fx.setShared(v)
	}
	return c.fx.setOwn("a", v)
}

// svcServed is the services an edit changes, and the path each answers
// the edited constant on.
func svcServed(edit string) (names []string, path string) {
	if edit == svcEditShared {
		return serviceNames, "/version"
	}
	return []string{"a"}, "/own"
}

// servicesScenario sets the copies up, then runs the rounds: a warm-up
// (not in -quick), then -n (-quick: one), every participant once per
// round in a shuffled order.
func (b *bench) servicesScenario() error {
	res := &servicesResult{rounds: b.svcRounds, size: b.svcShape}
	b.res.services = res
	p, err := b.setUpServices()
	if p != nil && p.live != nil {
		defer p.live.shutdown()
	}
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	flags := goliveFlags()
	bin := func(c *svcCopy, name string) string { return filepath.Join(c.bin, name) }
	shared := &svcRow{edit: svcEditShared, golive: &series{label: "shared package: golive"}, floors: []*series{
		{label: "shared package: two go builds, a then b", floor: true},
		{label: "shared package: one go build of both (the floor)", floor: true},
	}}
	own := &svcRow{edit: svcEditOwn, golive: &series{label: "a's own package: golive"}, floors: []*series{
		{label: "a's own package: go build of a (the floor)", floor: true},
	}}
	res.rows = []*svcRow{shared, own}
	steps := []shapeStep{
		{s: shared.golive, round: func(tok string) sample { return b.svcLiveRound(p, svcEditShared, tok) }},
		{s: own.golive, round: func(tok string) sample { return b.svcLiveRound(p, svcEditOwn, tok) }},
		{s: shared.floors[0], round: func(tok string) sample {
			return b.svcFloorRound(p.two, svcEditShared, tok, func() (time.Duration, error) {
				da, err := b.goBuildPackages(p.two.fx.dir, flags, bin(p.two, "a"), "./cmd/a")
				if err != nil {
					return 0, err
				}
				db, err := b.goBuildPackages(p.two.fx.dir, flags, bin(p.two, "b"), "./cmd/b")
				return da + db, err
			})
		}},
		{s: shared.floors[1], round: func(tok string) sample {
			return b.svcFloorRound(p.one, svcEditShared, tok, func() (time.Duration, error) {
				return b.goBuildPackages(p.one.fx.dir, flags, p.one.bin+string(filepath.Separator), "./cmd/a", "./cmd/b")
			})
		}},
		{s: own.floors[0], round: func(tok string) sample {
			return b.svcFloorRound(p.a, svcEditOwn, tok, func() (time.Duration, error) {
				return b.goBuildPackages(p.a.fx.dir, flags, bin(p.a, "a"), "./cmd/a")
			})
		}},
	}
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

// setUpServices writes the copies, builds each floor's once (its
// packages compiled in its directory), then starts golive in its copy
// and waits until both services serve and watch their builds' files.
func (b *bench) setUpServices() (*svcProject, error) {
	b.logf("services: setting up (each main: %d internal packages of %d files)", b.svcShape.Packages, b.svcShape.Files)
	newCopy := func(role string, config func(ports map[string]int) string) (*svcCopy, error) {
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
	p := &svcProject{}
	var err error
	for _, f := range []struct {
		c    **svcCopy
		role string
		pkgs []string
	}{
		{&p.two, "two", []string{"./cmd/a", "./cmd/b"}},
		{&p.one, "one", []string{"./cmd/a", "./cmd/b"}},
		{&p.a, "a", []string{"./cmd/a"}},
	} {
		if *f.c, err = newCopy(f.role, nil); err != nil {
			return nil, err
		}
		if _, err := b.goBuildPackages((*f.c).fx.dir, goliveFlags(), (*f.c).bin+string(filepath.Separator), f.pkgs...); err != nil {
			return nil, err
		}
	}
	// golive starts last, on files written seconds before, as a user's are.
	if p.liveCopy, err = newCopy("golive", svcGoliveConfig); err != nil {
		return nil, err
	}
	c := p.liveCopy
	p.live = &watcherTool{
		name: "golive", setting: "services", fx: &fixture{dir: c.fx.dir}, port: c.ports["a"], c: c.clients["a"],
		starts: filepath.Join(b.work, "starts-services-golive.log"),
		events: &eventLog{path: filepath.Join(b.work, "events-services-golive.jsonl")},
	}
	p.live.argv = append([]string{b.golives[0].path, "-C", c.fx.dir, "--events", p.live.events.path}, b.opts.goliveArgs...)
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

// waitServing polls path on every client every 2 ms until each answers
// want, and returns when the last one did.
func (b *bench) waitServing(clients []*client, path, want string) (time.Time, error) {
	type answer struct {
		at  time.Time
		err error
	}
	answers := make(chan answer, len(clients))
	ctx, cancel := context.WithCancel(b.ctx)
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
	var clients []*client
	for _, name := range names {
		clients = append(clients, c.clients[name])
	}
	at, err := b.waitServing(clients, path, token)
	if err != nil {
		return sample{err: err.Error()}
	}
	time.Sleep(settle)
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
// started (a rule's or a plugin's excepted), program starts, and the
// first build_ok's replayed and duration.
func svcCountsOf(ev *eventLog, saved time.Time) *svcCounts {
	ev.refresh()
	c := &svcCounts{builds: map[string]int{}, starts: map[string]int{}, replayed: map[string]bool{}, build: map[string]time.Duration{}}
	var last time.Time
	for _, e := range ev.after(saved, "") {
		switch e.Type {
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
func (b *bench) svcFloorRound(c *svcCopy, edit, token string, build func() (time.Duration, error)) sample {
	names, path := svcServed(edit)
	for _, name := range names {
		os.Remove(filepath.Join(c.bin, name))
	}
	if err := c.save(edit, token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	d, err := build()
	if err != nil {
		return sample{err: err.Error()}
	}
	var clients []*client
	for _, name := range names {
		p, err := b.startBinary(filepath.Join(c.bin, name), c.fx.dir, c.ports[name])
		if err != nil {
			return sample{err: err.Error()}
		}
		defer p.stop(syscall.SIGKILL, 0)
		clients = append(clients, c.clients[name])
	}
	at, err := b.waitServing(clients, path, token)
	if err != nil {
		return sample{err: err.Error()}
	}
	return sample{ok: true, total: at.Sub(saved), parts: map[string]time.Duration{partBuild: d}}
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
	fmt.Fprintln(w, "| edit | participant | save → serving, median (min–max) | its build, median | golive ÷ it | golive's restarts per save: a, b | golive's builds per save: a, b | golive's builds replayed: a, b | b untouched: same pid, no build, no start | ok |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---|---|---|---:|")
	for _, row := range r.rows {
		g := row.golive.totals()
		names, _ := svcServed(row.edit)
		fmt.Fprintf(w, "| %s | golive, one session running both | %s | %s | – | %s | %s | %s | %s | %d/%d |\n", row.edit,
			medRange(g), svcBuildCell(row.golive, names), svcPerSave(row.golive, func(c *svcCounts, n string) int { return c.starts[n] }),
			svcPerSave(row.golive, func(c *svcCounts, n string) int { return c.builds[n] }), svcReplayed(row.golive, names), svcUntouched(row), g.n, g.of)
		for _, f := range row.floors {
			st := f.totals()
			_, label, _ := strings.Cut(f.label, ": ")
			bd, _ := f.part(partBuild)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | – | – | – | – | %d/%d |\n", row.edit, label, medRange(st), ms(bd.med), ratio(g.med, st.med), st.n, st.of)
		}
	}
	fmt.Fprintln(w)
	flags := strings.Join(goliveFlags(), " ")
	fmt.Fprintf(w, "One module, two mains (cmd/a, cmd/b), each an HTTP server on its own port importing `shared` (whose exported constant both serve), a package of its own (whose exported constant it serves) and %d internal packages of %d files of its own. golive runs both as `[[service]]` blocks in one session; each participant has its own copy. *shared package* saves shared's constant, timed to the second program serving it (both polled every 2 ms); *a's own package* saves a's, timed to a serving it. Floors, by hand, with golive's flags (`%s`), each program started once its build is done: two go builds, `go build ./cmd/a` then `go build ./cmd/b` (their build: both together); one go build of both, `go build -o DIR/ ./cmd/a ./cmd/b`; go build of a, `go build ./cmd/a`. golive's build is the duration_ms of the build that ended last (in parentheses, each service's); restarts, builds and replays per service come from its events, from the save to %v after the answer; b untouched counts the saves after which b answered the same `/pid` as before and had no build and no start.\n\n",
		r.size.Packages, r.size.Files, flags, settle)
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

// servicesSummary is the summary's clause on the scenario.
func servicesSummary(r *servicesResult) string {
	if len(r.rows) < 2 {
		return "services: did not run"
	}
	shared, own := r.rows[0], r.rows[1]
	g, two, one := shared.golive.totals(), shared.floors[0].totals(), shared.floors[1].totals()
	if g.n == 0 {
		return "services: golive failed"
	}
	starts := svcPerSave(shared.golive, func(c *svcCounts, n string) int { return c.starts[n] })
	out := fmt.Sprintf("services: a shared package's edit served by both services in %s ms with golive = %s two go builds one after the other (%s ms) and %s one go build of both (%s ms, the floor), restarts per save %s (a, b), builds replayed %s",
		ms(g.med), ratio(g.med, two.med), ms(two.med), ratio(g.med, one.med), ms(one.med), starts, svcReplayed(shared.golive, serviceNames))
	if o := own.golive.totals(); o.n > 0 {
		out += fmt.Sprintf("; a's own package %s ms (%s go build of a), b untouched in %s", ms(o.med), ratio(o.med, own.floors[0].totals().med), svcUntouched(own))
	}
	return out
}
