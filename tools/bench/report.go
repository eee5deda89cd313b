//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// results is everything a run measured.
type results struct {
	facts      facts
	latency    []*series
	storms     []stormResult
	edits      []editResult
	idle       []*idleResult // the large tree's first, then the monorepo's
	plugin     *pluginResult
	browser    *browserResult
	debug      *debugResult
	shapes     *shapesResult
	templ      *templResult
	services   *servicesResult
	fixtureRSS []int64 // each golive's VmRSS on the latency fixture after its rounds, as b.golives
	notes      []string
}

type facts struct {
	start, end         time.Time
	cores              int
	cpu                string
	goVersion          string
	kernel             string
	loadStart, loadEnd string
	goflags            string
	goliveRev          string
	peers              []string
}

func machineFacts(b *bench) facts {
	f := facts{start: time.Now(), cores: runtime.NumCPU(), loadStart: loadAvg(), goflags: os.Getenv("GOFLAGS")}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		f.goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		f.kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				f.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return f
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

func gitRev(dir string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func toolVersion(path string, arg string) string {
	out, _ := exec.Command(path, arg).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "v1.") || strings.Contains(strings.ToLower(line), "version") {
			return "air: " + strings.TrimSpace(line)
		}
	}
	return path
}

// stats of the successful samples.
type stats struct {
	n, of         int
	med, min, max time.Duration
}

func statsOf(ds []time.Duration, of int) stats {
	s := stats{n: len(ds), of: of}
	if len(ds) == 0 {
		return s
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	s.min, s.max = ds[0], ds[len(ds)-1]
	if len(ds)%2 == 1 {
		s.med = ds[len(ds)/2]
	} else {
		s.med = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return s
}

func (s *series) totals() stats {
	var ds []time.Duration
	for _, x := range s.samples {
		if x.ok {
			ds = append(ds, x.total)
		}
	}
	return statsOf(ds, len(s.samples))
}

func (s *series) part(name string) (stats, bool) {
	var ds []time.Duration
	for _, x := range s.samples {
		if d, ok := x.parts[name]; x.ok && ok {
			ds = append(ds, d)
		}
	}
	return statsOf(ds, len(s.samples)), len(ds) > 0
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
}

// msFine is ms with microseconds, for parts that take less than one.
func msFine(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

// msDuration turns an event's millisecond field into a duration.
func msDuration(v *float64) time.Duration {
	if v == nil {
		return 0
	}
	return time.Duration(*v * float64(time.Millisecond))
}

func signedMS(d time.Duration) string {
	return fmt.Sprintf("%+.0f", float64(d)/float64(time.Millisecond))
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func (r *results) series(label string) *series {
	for _, s := range r.latency {
		if s.label == label {
			return s
		}
	}
	return nil
}

func report(w io.Writer, b *bench) {
	r := &b.res
	f := r.facts
	mode := "full"
	if b.opts.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "## golive benchmark (%s run)\n\n", mode)
	fmt.Fprintf(w, "- machine: %d cores (%s), Linux %s, load average %s at start, %s at end\n", f.cores, f.cpu, f.kernel, f.loadStart, f.loadEnd)
	fmt.Fprintf(w, "- Go: %s; golive %s; date %s; took %s\n", f.goVersion, f.goliveRev, f.start.Format("2006-01-02 15:04 MST"), f.end.Sub(f.start).Round(time.Second))
	goflags := "GOFLAGS from the environment removed for every build"
	if f.goflags == "" {
		goflags = "GOFLAGS unset"
	} else if b.keepGOFLAGS {
		goflags = "GOFLAGS=" + f.goflags + " kept for every build"
	} else {
		goflags += " (was " + f.goflags + ")"
	}
	git := "each a git repository"
	if b.opts.noGit {
		git = "not git repositories"
	}
	if len(b.tools) > 0 {
		fmt.Fprintf(w, "- fixture: %d packages × %d files imported by main, %d other files; one copy per tool, %s; %s\n",
			b.shape.Packages, b.shape.Files, b.shape.Other, git, goflags)
	} else {
		fmt.Fprintf(w, "- %s\n", goflags)
	}
	if len(b.opts.only) > 0 {
		var names []string
		for _, name := range scenarios {
			if b.opts.only[name] {
				names = append(names, name)
			}
		}
		fmt.Fprintf(w, "- scenarios: %s only (-only)\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "- golive's build flags (its dev profile): `%s`\n", strings.Join(goliveFlags(), " "))
	if len(b.opts.goliveArgs) > 0 {
		fmt.Fprintf(w, "- every golive ran with `%s` (-golive-arg)\n", strings.Join(b.opts.goliveArgs, " "))
	}
	for _, g := range b.golives[1:] {
		fmt.Fprintf(w, "- baseline: %s, %s\n", g.name, g.about)
	}
	for _, p := range f.peers {
		fmt.Fprintf(w, "- peer: %s\n", p)
	}
	fmt.Fprintln(w)

	floorMed, plainMed, polledMed := r.floorMedians()
	if len(r.latency) > 0 {
		reportLatency(w, b)
	}
	if len(r.storms) > 0 {
		reportStorms(w, r.storms)
	}
	if len(r.edits) > 0 {
		reportEdits(w, r.edits)
	}
	reportIdle(w, b)
	reportBaseline(w, b)
	reportPlugin(w, b)
	reportBrowser(w, r.browser)
	reportDebug(w, r.debug)
	reportShapes(w, b)
	reportTempl(w, r.templ)
	reportServices(w, r.services)

	for _, s := range r.latency {
		for i, x := range s.samples {
			if !x.ok {
				r.notes = append(r.notes, fmt.Sprintf("latency round %d, %s: %s", i+1, s.label, x.err))
			}
		}
	}
	if r.plugin != nil {
		for _, s := range r.plugin.series {
			for i, x := range s.samples {
				if !x.ok {
					r.notes = append(r.notes, fmt.Sprintf("plugin round %d, %s: %s", i+1, s.label, x.err))
				}
			}
		}
	}
	if r.shapes != nil {
		r.notes = append(r.notes, r.shapes.failures()...)
	}
	if r.templ != nil {
		r.notes = append(r.notes, r.templ.failures()...)
	}
	if r.services != nil {
		r.notes = append(r.notes, r.services.failures()...)
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "- note: %s\n", n)
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
	}
	var golive *series
	if len(b.golives) > 0 {
		golive = r.series(b.golives[0].label())
	}
	fmt.Fprintf(w, "**Summary:** %s\n", summary(b, golive, floorMed, plainMed, polledMed))
}

// floorMedians are the medians of the latency rounds' floors, 0 where
// one did not run.
func (r *results) floorMedians() (floor, plain, polled time.Duration) {
	med := func(label string) time.Duration {
		if s := r.series(label); s != nil {
			return s.totals().med
		}
		return 0
	}
	return med("floor"), med("plain floor"), med("polled floor")
}

// reportLatency prints the latency rounds' table and where golive's time
// went in them.
func reportLatency(w io.Writer, b *bench) {
	r := &b.res
	floor, plain, polled := r.series("floor"), r.series("plain floor"), r.series("polled floor")
	floorMed, plainMed, polledMed := r.floorMedians()
	fmt.Fprintf(w, "### Latency: save → new answer (ms, %d interleaved rounds after a warm-up)\n\n", b.opts.rounds)
	fmt.Fprintln(w, "| tool | median | min | max | × floor | − floor | paired × floor | × plain floor | − polled floor | starts per save | ok |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.latency {
		st := s.totals()
		label := s.label
		switch s.label {
		case "floor":
			label = "floor: `go build " + strings.Join(goliveFlags(), " ") + "` + start + answer"
		case "plain floor":
			label = "plain floor: `go build` + start + answer"
		case "polled floor":
			label = "polled floor: old program polled, same build, stop it, start + answer"
		}
		starts, binds := 0, 0
		for _, x := range s.samples {
			starts += x.starts
			binds += x.bindFails
		}
		perSave := "–"
		if len(s.samples) > 0 && !s.floor {
			perSave = fmt.Sprintf("%.1f", float64(starts)/float64(len(s.samples)))
			if binds > 0 {
				perSave += fmt.Sprintf(" (%d bind failures)", binds)
			}
		}
		if st.n == 0 {
			fmt.Fprintf(w, "| %s | – | – | – | – | – | – | – | – | %s | 0/%d |\n", label, perSave, st.of)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", label, ms(st.med), ms(st.min), ms(st.max),
			ratio(st.med, floorMed), signedMS(st.med-floorMed), pairedRatio(s, floor), ratio(st.med, plainMed), signedMS(st.med-polledMed), perSave, st.n, st.of)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "× floor and − floor compare medians; paired × floor is the median of each round's ratio to the floor's time in the same round. Every tool and floor runs once per round, in a shuffled order; starts per save counts the program's starts from the save to 0.5 s after the new answer.")
	fmt.Fprintln(w)

	// One column per golive binary, the one built from the tree first.
	var golives []*series
	var heads []string
	for _, g := range b.golives {
		golives = append(golives, r.series(g.label()))
		heads = append(heads, g.name)
	}
	cols := append(slices.Clone(golives), floor, plain, polled)
	fmt.Fprintln(w, "### Where golive's time goes (medians in ms, from its --events; floors measured by hand)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| part | %s | floor | plain floor | polled floor |\n", strings.Join(heads, " | "))
	fmt.Fprintln(w, "|---|"+strings.Repeat("---:|", len(cols)))
	for _, part := range partOrder {
		row := "| " + part
		for _, s := range cols {
			cell := "–"
			if s != nil {
				if st, ok := s.part(part); ok {
					cell = ms(st.med)
					if slices.Contains(golives, s) {
						cell += fmt.Sprintf(" (%s–%s)", ms(st.min), ms(st.max))
					}
				}
			}
			row += " | " + cell
		}
		fmt.Fprintln(w, row+" |")
	}
	row := "| total (median of totals)"
	for _, s := range cols {
		if s != nil {
			row += " | " + ms(s.totals().med)
		} else {
			row += " | –"
		}
	}
	fmt.Fprintln(w, row+" |")
	fmt.Fprintln(w)
	for i, s := range golives {
		if s == nil {
			continue
		}
		fmt.Fprintf(w, "%s's builds in these rounds: %s replayed (compile and link only, `build_ok.replayed`), the rest `go build`.\n\n", heads[i], replayedOf(s))
	}
	fmt.Fprintln(w, "The parts are medians taken one by one, so they need not add up to the median total. golive's build is its build_ok duration_ms; the floors' is the wall time of `go build`. The polled floor is golive's sequence done by hand: the old program keeps serving and is polled every 2 ms during the build, as it is for every watcher, so golive minus the polled floor is what golive itself adds.")
	fmt.Fprintln(w)
}

// reportStorms prints each tool's storm.
func reportStorms(w io.Writer, storms []stormResult) {
	fmt.Fprintln(w, "### Storm: every internal .go file and every data file rewritten at once")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| tool | files (.go + other) | written in ms | restarts | bind failures | final tree served | storm end → final tree (ms) | golive builds started / finished | peak processes in the tool's tree |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---:|---|---:|")
	for _, s := range storms {
		final := "no (stale)"
		toFinal := "–"
		if s.finalOK {
			final, toFinal = "yes", ms(s.toFinal)
		}
		if s.runaway {
			final = fmt.Sprintf("no: runaway, killed at more than %d processes", maxTree)
		}
		if s.err != "" {
			final = "error: " + s.err
		}
		builds := "–"
		if s.builds > 0 || s.buildsOK > 0 {
			builds = fmt.Sprintf("%d / %d", s.builds, s.buildsOK)
		}
		fmt.Fprintf(w, "| %s | %d + %d | %s | %d | %d | %s | %s | %s | %d |\n", s.label, s.goFiles, s.otherFiles, ms(s.writeTime),
			s.starts, s.bindFails, final, toFinal, builds, s.peakProcs)
	}
	fmt.Fprintln(w)
}

// reportEdits prints the edit-during-build rounds.
func reportEdits(w io.Writer, edits []editResult) {
	fmt.Fprintln(w, "### Edit during build (golive): a second save lands while the first one's build runs")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| round | second save during the build | first edit ever served | final answer is the second edit | starts | builds started / finished | second save → answer (ms) |")
	fmt.Fprintln(w, "|---:|---|---|---|---:|---|---:|")
	for i, e := range edits {
		if e.err != "" {
			fmt.Fprintf(w, "| %d | error: %s | | | | | |\n", i+1, e.err)
			continue
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %d | %d / %d | %s |\n", i+1, yes(e.duringBuild), yes(e.firstShown), yes(e.finalOK),
			e.starts, e.builds, e.buildsOK, ms(e.latency))
	}
	fmt.Fprintln(w)
}

// reportIdle prints the idle and start-up scenario, a table per tree.
func reportIdle(w io.Writer, b *bench) {
	r := &b.res
	for _, id := range r.idle {
		fmt.Fprintf(w, "### Idle and start-up: %s\n\n", id.describe())
		fmt.Fprintln(w, "| measure | value |")
		fmt.Fprintln(w, "|---|---:|")
		fs, ps := statsOf(id.floorStartup, len(id.floorStartup)), statsOf(id.plainStartup, len(id.plainStartup))
		// Each golive binary's rows, the one built from the tree first.
		each := func(row func(g *startupResult, i int)) {
			for i, g := range id.golive {
				row(g, i)
			}
		}
		each(func(g *startupResult, _ int) {
			gs := statsOf(g.startup, len(g.startup))
			fmt.Fprintf(w, "| %s launch → first answer, median of %d (min–max) | %s ms (%s–%s) |\n", g.name, gs.n, ms(gs.med), ms(gs.min), ms(gs.max))
		})
		fmt.Fprintf(w, "| floor: `go build %s` + start + answer, median (min–max) | %s ms (%s–%s) |\n", strings.Join(goliveFlags(), " "), ms(fs.med), ms(fs.min), ms(fs.max))
		fmt.Fprintf(w, "| plain floor: `go build` + start + answer, median (min–max) | %s ms (%s–%s) |\n", ms(ps.med), ms(ps.min), ms(ps.max))
		each(func(g *startupResult, _ int) {
			gs := statsOf(g.startup, len(g.startup))
			fmt.Fprintf(w, "| %s start-up / floor | %s (plain floor: %s) |\n", g.name, ratio(gs.med, fs.med), ratio(gs.med, ps.med))
		})
		each(func(g *startupResult, _ int) {
			tb, bd, ta := statsOf(g.toBuild, 0), statsOf(g.build, 0), statsOf(g.toAnswer, 0)
			fmt.Fprintf(w, "| %s's start-up split, medians: launch → build_start; build (duration_ms); start → first answer | %s ms; %s ms; %s ms |\n", g.name, ms(tb.med), ms(bd.med), ms(ta.med))
		})
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s's first builds in these rounds replayed from the recipe the session before kept (`build_ok.replayed`) | %d of %d |\n", g.name, g.replayed, len(g.build))
		})
		each(func(g *startupResult, _ int) {
			if f := g.first; f != nil && len(f.startup) > 0 && len(f.build) > 0 {
				fmt.Fprintf(w, "| %s's first session in the fixture, before the rounds (no kept recipe: its first build is `go build`, replayed: %v): launch → first answer; launch → build_start; build | %s ms; %s ms; %s ms |\n",
					g.name, f.replayed > 0, ms(f.startup[0]), ms(f.toBuild[0]), ms(f.build[0]))
				fmt.Fprintf(w, "| that first session / the floor's median | %s |\n", ratio(f.startup[0], fs.med))
			}
		})
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s's own CPU, launch → first answer | %s ms |\n", g.name, ms(g.launchCPU))
		})
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s's own CPU over %.1f s idle | %s ms (%.2f %%) |\n", g.name, g.window.Seconds(), ms(g.idleCPU), 100*g.idleCPU.Seconds()/g.window.Seconds())
		})
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s resident memory at the end of the window (VmRSS; peak VmHWM) | %.1f MB (%.1f MB) |\n", g.name, mb(g.rss), mb(g.hwm))
		})
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s's VmRSS in parts: private (RssAnon); mapped file pages, its binary and libc (RssFile) | %.1f MB; %.1f MB |\n", g.name, mb(g.anon), mb(g.file))
		})
		each(func(g *startupResult, i int) {
			if i < len(r.fixtureRSS) {
				fmt.Fprintf(w, "| for comparison: %s's VmRSS on the latency fixture, after its rounds | %.1f MB |\n", g.name, mb(r.fixtureRSS[i]))
			}
		})
		bd := id.buildDirs
		fmt.Fprintf(w, "| directories the build reads files in (go list: packages, modules, go.work): all; under the start directory; above those there | %d; %d; %d |\n", bd.total, bd.inside, bd.above)
		each(func(g *startupResult, _ int) {
			fmt.Fprintf(w, "| %s's watches at the end of the window: inotify (/proc fdinfo); directories it says it watches (`watching.dirs`) | %d; %d |\n", g.name, g.watches, g.watchedDirs)
		})
		fe := statsOf(id.floorEdit, len(id.floorEdit))
		fmt.Fprintf(w, "| edit floor: save of version.go, `go build %s` + start + answer, median (min–max) | %s ms (%s–%s) |\n", strings.Join(goliveFlags(), " "), ms(fe.med), ms(fe.min), ms(fe.max))
		each(func(g *startupResult, _ int) {
			if len(g.edits) == 0 {
				return
			}
			es := statsOf(g.edits, len(g.edits))
			fmt.Fprintf(w, "| %s save → new answer after the idle window, median of %d (min–max); / edit floor | %s ms (%s–%s); %s |\n", g.name, es.n, ms(es.med), ms(es.min), ms(es.max), ratio(es.med, fe.med))
		})
		each(func(g *startupResult, _ int) {
			measure := "builds during the idle window"
			if len(id.golive) > 1 {
				measure = g.name + "'s " + measure
			}
			fmt.Fprintf(w, "| %s | %d |\n", measure, g.buildsInWindow)
		})
		fmt.Fprintln(w)
	}
}

// pairedRatio is the median over rounds of s's time over the floor's in
// the same round: steadier than a ratio of medians when the machine's
// load drifts during the run.
func pairedRatio(s, floor *series) string {
	if floor == nil || s == floor {
		return "–"
	}
	p := pairedStats(s.durations(total), floor.durations(total))
	if p.n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", float64(p.med)/1000)
}

// durations returns of(sample) for every round, or 0 where the round
// failed or of has no time, so that index i is round i+1 in every series.
func (s *series) durations(of func(sample) (time.Duration, bool)) []time.Duration {
	ds := make([]time.Duration, len(s.samples))
	for i, x := range s.samples {
		if d, ok := of(x); x.ok && ok {
			ds[i] = d
		}
	}
	return ds
}

func total(x sample) (time.Duration, bool) { return x.total, true }

// pairedStats is the spread of a[i]/b[i] over the rounds where both have
// a time (×1000, to reuse statsOf): a and b ran in the same rounds, so
// the load of each round divides out.
func pairedStats(a, b []time.Duration) stats {
	var rs []time.Duration
	for i := range min(len(a), len(b)) {
		if a[i] > 0 && b[i] > 0 {
			rs = append(rs, time.Duration(1000*float64(a[i])/float64(b[i])))
		}
	}
	return statsOf(rs, 0)
}

func yes(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func summary(b *bench, golive *series, floorMed, plainMed, polledMed time.Duration) string {
	r := &b.res
	var parts []string
	if golive != nil {
		st := golive.totals()
		parts = append(parts, fmt.Sprintf("golive %s ms median save→serving = %s the floor with its flags (%s ms; paired %s) and %s the plain go build floor (%s ms); %s ms over the polled floor",
			ms(st.med), ratio(st.med, floorMed), signedMS(st.med-floorMed), pairedRatio(golive, r.series("floor")), ratio(st.med, plainMed), ms(plainMed), signedMS(st.med-polledMed)))
	}
	for _, s := range r.latency[min(len(r.latency), len(b.floors)+len(b.golives)):] { // the peers
		st := s.totals()
		if st.n == 0 {
			parts = append(parts, s.label+" failed")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s (paired %s)", s.label, ratio(st.med, floorMed), pairedRatio(s, r.series("floor"))))
	}
	for _, s := range r.storms {
		final := "final tree"
		switch {
		case s.runaway:
			final = "runaway builds, killed"
		case !s.finalOK:
			final = "STALE tree"
		}
		parts = append(parts, fmt.Sprintf("storm %s: %d restart(s), %s", s.label, s.starts, final))
	}
	good := 0
	for _, e := range r.edits {
		if e.err == "" && e.finalOK && !e.firstShown && e.starts == 1 {
			good++
		}
	}
	if len(r.edits) > 0 {
		parts = append(parts, fmt.Sprintf("edit during build: %d/%d rounds served only the second edit with 1 start", good, len(r.edits)))
	}
	for _, id := range r.idle {
		if len(id.golive) == 0 {
			continue
		}
		floor := statsOf(id.floorStartup, 0).med
		g := id.golive[0]
		startup := fmt.Sprintf("%s: idle CPU %.2f %%, RSS %.1f MB, %d inotify watches, start-up %s the floor (%d of %d replayed from the kept recipe)",
			id.tree.name, 100*g.idleCPU.Seconds()/g.window.Seconds(), mb(g.rss), g.watches,
			ratio(statsOf(g.startup, 0).med, floor), g.replayed, len(g.build))
		if f := g.first; f != nil && len(f.startup) > 0 {
			startup += fmt.Sprintf(", first session in the fixture %s", ratio(f.startup[0], floor))
		}
		parts = append(parts, startup)
	}
	if s := baselineSummary(b); s != "" {
		parts = append(parts, s)
	}
	if r.plugin != nil {
		parts = append(parts, pluginSummary(r.plugin))
	}
	if r.shapes != nil {
		parts = append(parts, shapesSummary(r.shapes))
	}
	if r.templ != nil {
		parts = append(parts, templSummary(r.templ))
	}
	if r.services != nil {
		parts = append(parts, servicesSummary(r.services))
	}
	if br := r.browser; br != nil && br.skipped == "" && len(br.painted) > 0 {
		p, s := statsOf(br.painted, 0).med, statsOf(br.serving, 0).med
		parts = append(parts, fmt.Sprintf("browser: painted %s ms after the save against serving at %s ms (%s ms); proxy adds %s ms median on a 100 kB page",
			ms(p), ms(s), signedMS(p-s), msFine(quantile(br.proxied["/big"], 0.5)-quantile(br.direct["/big"], 0.5))))
	}
	if d := r.debug; d != nil && d.skipped == "" && len(d.debug) > 0 {
		dm, pm := statsOf(d.debug, 0).med, statsOf(d.plain, 0).med
		parts = append(parts, fmt.Sprintf("debug: %s ms with --debug against %s ms without (%s), %d of %d restarted in place", ms(dm), ms(pm), ratio(dm, pm), d.inPlace, d.total))
	}
	return strings.Join(parts, "; ") + "."
}

// replayedOf counts the timed rounds whose build golive replayed.
func replayedOf(s *series) string {
	return countOf(s, func(x sample) bool { return x.replayed })
}

// countOf says in how many of a series' good samples ok holds.
func countOf(s *series, ok func(sample) bool) string {
	n, of := 0, 0
	for _, x := range s.samples {
		if x.ok {
			of++
			if ok(x) {
				n++
			}
		}
	}
	return fmt.Sprintf("%d of %d", n, of)
}

// describe names the tree of an idle result for its heading.
func (id *idleResult) describe() string {
	s := id.tree.shape
	if s.Work > 0 {
		return fmt.Sprintf("the monorepo, a go.work of %d modules of %d packages each, main importing %d of each's", s.Work+1, s.Packages, s.imported())
	}
	return fmt.Sprintf("the large tree, the fixture plus %d directories and %d non-Go files", id.dirs, id.files)
}

// firstIdle is the large tree's idle result, or nil.
func firstIdle(r *results) *idleResult {
	if len(r.idle) == 0 {
		return nil
	}
	return r.idle[0]
}
