//go:build linux

package main

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// goliveBin is one golive binary under test: the one built from the
// working tree, and with -baseline a binary built elsewhere (an earlier
// commit, say), measured beside it in the same run. Each gets its own
// copy of every fixture it runs on, its own events and start logs, and
// its own rows; golive's kept recipe is keyed by the binary, so two
// binaries in one directory would each throw away the other's.
type goliveBin struct {
	path    string
	name    string // in the report's prose: "golive", or "golive (baseline REV)"
	setting string // its watcher's setting: "default", or "baseline REV"
	tag     string // added to its files' names: "", or "-baseline"
	about   string // the baseline: where it is and how it was built
}

// baselineBin checks the -baseline binary and names it: by the VCS
// revision stamped in it (go build -buildvcs=true), else by its file
// name. A relative path is taken from $PWD, the directory the command was
// typed in: go -C tools run changes the working directory, not PWD.
func baselineBin(path string) (goliveBin, error) {
	if !filepath.IsAbs(path) {
		dir := os.Getenv("PWD")
		if !filepath.IsAbs(dir) {
			var err error
			if dir, err = os.Getwd(); err != nil {
				return goliveBin{}, err
			}
		}
		path = filepath.Join(dir, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return goliveBin{}, fmt.Errorf("baseline: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return goliveBin{}, fmt.Errorf("baseline: %s is not an executable file", path)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return goliveBin{}, fmt.Errorf("baseline: %s: %w", path, err)
	}
	if info.Path != "github.com/golive-dev/golive/cmd/golive" {
		return goliveBin{}, fmt.Errorf("baseline: %s is not golive (its main package is %s)", path, info.Path)
	}
	rev, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	about := fmt.Sprintf("`%s`, built with %s, ", path, info.GoVersion)
	id := filepath.Base(path)
	if rev != "" {
		id = rev[:min(len(rev), 7)]
		if modified {
			id += "-dirty"
		}
		about += "from " + id
	} else {
		about += "no VCS stamp (named by its file)"
	}
	return goliveBin{
		path: path, name: "golive (baseline " + id + ")", setting: "baseline " + id,
		tag: "-baseline", about: about,
	}, nil
}

// label is the binary's rows' label, as its watcher's in the latency
// rounds: golive (default), golive (baseline ID).
func (g goliveBin) label() string { return "golive (" + g.setting + ")" }

// goliveTools returns the watchers of the golive binaries, as b.golives.
func (b *bench) goliveTools() []*watcherTool { return b.tools[:len(b.golives)] }

// ownTime is a save's time less golive's build: what golive itself adds.
func ownTime(x sample) (time.Duration, bool) {
	d, ok := x.parts[partBuild]
	return x.total - d, ok
}

func buildTime(x sample) (time.Duration, bool) {
	d, ok := x.parts[partBuild]
	return d, ok
}

func nonZero(ds []time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range ds {
		if d > 0 {
			out = append(out, d)
		}
	}
	return out
}

// reportBaseline puts golive from the tree and the baseline side by
// side: the medians of each scenario's rows above, their ratio and
// difference, and for the interleaved scenarios the paired ratio with
// its range over the rounds, which is the noise to read the rest against.
func reportBaseline(w io.Writer, b *bench) {
	if len(b.golives) < 2 {
		return
	}
	r := &b.res
	cur, base := b.golives[0], b.golives[1]
	if r.series(cur.label()) == nil && len(r.storms) == 0 && firstIdle(r) == nil {
		return // no scenario compared them
	}
	fmt.Fprintf(w, "### golive beside its baseline: %s against %s, same run\n\n", cur.label(), base.label())
	fmt.Fprintf(w, "| measure | %s | %s | ÷ baseline | − baseline |\n", cur.label(), base.label())
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	durRow := func(measure string, a, c stats) {
		if a.n == 0 || c.n == 0 {
			fmt.Fprintf(w, "| %s | %s | %s | – | – |\n", measure, spread(a), spread(c))
			return
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", measure, spread(a), spread(c), ratio(a.med, c.med), signedMS(a.med-c.med))
	}
	pairedRow := func(measure string, p stats) {
		cell := "–"
		if p.n > 0 {
			cell = fmt.Sprintf("%.2f× (%.2f–%.2f×)", float64(p.med)/1000, float64(p.min)/1000, float64(p.max)/1000)
		}
		fmt.Fprintf(w, "| %s | | | %s | |\n", measure, cell)
	}
	mbRow := func(measure string, a, c int64) {
		div := "–"
		if c > 0 {
			div = fmt.Sprintf("%.2f×", float64(a)/float64(c))
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %s | %+.1f |\n", measure, mb(a), mb(c), div, mb(a-c))
	}

	if cs, bs := r.series(cur.label()), r.series(base.label()); cs != nil && bs != nil {
		for _, m := range []struct {
			name string
			of   func(sample) (time.Duration, bool)
		}{
			{"latency: save → new answer, ms, median (min–max)", total},
			{"latency: golive's build (build_ok duration_ms), ms", buildTime},
			{"latency: the rest, total − build (quiet window, stop, start, polling), ms", ownTime},
		} {
			a, c := nonZero(cs.durations(m.of)), nonZero(bs.durations(m.of))
			durRow(m.name, statsOf(a, len(cs.samples)), statsOf(c, len(bs.samples)))
		}
		pairedRow("latency: paired, median of each round's ratio (min–max over the rounds)", pairedStats(cs.durations(total), bs.durations(total)))
		fmt.Fprintf(w, "| latency: builds replayed | %s | %s | | |\n", replayedOf(cs), replayedOf(bs))
	}
	if cs, bs := stormOf(r, cur.label()), stormOf(r, base.label()); cs != nil && bs != nil {
		fmt.Fprintf(w, "| storm: restarts; final tree served | %d; %s | %d; %s | | %+d |\n", cs.starts, yes(cs.finalOK), bs.starts, yes(bs.finalOK), cs.starts-bs.starts)
		fmt.Fprintf(w, "| storm: builds started / finished | %d / %d | %d / %d | | |\n", cs.builds, cs.buildsOK, bs.builds, bs.buildsOK)
		a, c := stats{}, stats{}
		if cs.finalOK {
			a = statsOf([]time.Duration{cs.toFinal}, 1)
		}
		if bs.finalOK {
			c = statsOf([]time.Duration{bs.toFinal}, 1)
		}
		durRow("storm: storm end → final tree, ms (one storm each)", a, c)
	}
	if id := firstIdle(r); id != nil && len(id.golive) > 1 {
		cs, bs := id.golive[0], id.golive[1]
		durRow("start-up: launch → first answer, ms, median (min–max)", statsOf(cs.startup, len(cs.startup)), statsOf(bs.startup, len(bs.startup)))
		pairedRow("start-up: paired, median of each round's ratio (min–max over the rounds)", pairedStats(cs.startup, bs.startup))
		durRow("start-up: first build (build_ok duration_ms), ms", statsOf(cs.build, len(cs.build)), statsOf(bs.build, len(bs.build)))
		fmt.Fprintf(w, "| start-up: first builds replayed from the kept recipe | %d of %d | %d of %d | | |\n", cs.replayed, len(cs.build), bs.replayed, len(bs.build))
		if cs.first != nil && bs.first != nil {
			durRow("start-up: first session in the fixture (`go build`), ms", statsOf(cs.first.startup, 1), statsOf(bs.first.startup, 1))
		}
		fmt.Fprintf(w, "| idle: own CPU over the window, ms | %s | %s | | %s |\n", ms(cs.idleCPU), ms(bs.idleCPU), signedMS(cs.idleCPU-bs.idleCPU))
		mbRow("idle: VmRSS at the end of the window, MB", cs.rss, bs.rss)
		mbRow("idle: VmHWM (peak), MB", cs.hwm, bs.hwm)
	}
	if len(r.fixtureRSS) > 1 {
		mbRow("latency fixture: VmRSS after its rounds, MB", r.fixtureRSS[0], r.fixtureRSS[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s is golive built from the tree; %s is %s. Both ran the same scenarios on copies of the same fixtures: in the latency rounds each once per round in the shuffled order, in the start-up rounds each once per round in turn with the floors. ÷ and − baseline compare medians; the paired ratio divides each round's two times, so its range over the rounds is the noise to judge the others by. Edit during build and the plugin scenario run the tree's golive only.\n\n",
		cur.label(), base.label(), base.about)
}

// spread is a median with its range when there was more than one time.
func spread(s stats) string {
	switch {
	case s.n == 0:
		return "–"
	case s.n == 1:
		return ms(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", ms(s.med), ms(s.min), ms(s.max))
}

func stormOf(r *results, label string) *stormResult {
	for i := range r.storms {
		if r.storms[i].label == label {
			return &r.storms[i]
		}
	}
	return nil
}

// baselineSummary is the summary's clause on the baseline ("" without
// one, or when no scenario compared them).
func baselineSummary(b *bench) string {
	if len(b.golives) < 2 {
		return ""
	}
	r := &b.res
	cur, base := b.golives[0], b.golives[1]
	var parts []string
	if cs, bs := r.series(cur.label()), r.series(base.label()); cs != nil && bs != nil {
		p := pairedStats(cs.durations(total), bs.durations(total))
		parts = append(parts, fmt.Sprintf("latency %s (paired %.2f×)", ratio(cs.totals().med, bs.totals().med), float64(p.med)/1000))
	}
	if cs, bs := stormOf(r, cur.label()), stormOf(r, base.label()); cs != nil && bs != nil {
		parts = append(parts, fmt.Sprintf("storm restarts %d against %d", cs.starts, bs.starts))
	}
	if id := firstIdle(r); id != nil && len(id.golive) > 1 {
		cs, bs := id.golive[0], id.golive[1]
		parts = append(parts, fmt.Sprintf("start-up %s, RSS %.1f against %.1f MB",
			ratio(statsOf(cs.startup, 0).med, statsOf(bs.startup, 0).med), mb(cs.rss), mb(bs.rss)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s against %s: %s", cur.label(), base.label(), strings.Join(parts, ", "))
}
