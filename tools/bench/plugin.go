//go:build linux

package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"time"

	"github.com/golive-dev/golive/internal/reload"
)

// The plugin scenario (issue 5): golive reloads a package inside the
// running program, keeping its pid and state, beside golive restarting
// the program on the same fixture.

// Paths of the plugin scenario, in report order.
const (
	pathInProc  = "in-process reload"
	pathOff     = "restart, plugins off"
	pathOutside = "restart, edit outside the plugin tree"
)

// Parts of the in-process path's time (the restart paths use partOrder).
const (
	partOpen = "load: plugin.Open in the program, its init included (reload open_ms)"
	partSwap = "swap: look up and check the symbols, switch (reload swap_ms)"
)

// pluginResult is the plugin scenario.
type pluginResult struct {
	skipped   string    // why the scenario did not run
	series    []*series // pathInProc, pathOff, pathOutside
	reloadsK  int
	memRSS    []int64 // the program's VmRSS after 0..K reloads
	memInProc int     // of the K reloads, how many kept the pid
	memErr    string
	offRSS    int64 // the plugins-off program's VmRSS after its rounds
}

func (r *pluginResult) path(label string) *series {
	for _, s := range r.series {
		if s.label == label {
			return s
		}
	}
	return nil
}

// pluginScenario measures the in-process path against restarts. Two
// golive run side by side on two copies of the plugin fixture: one with
// [plugins] packages = ["./internal/greet"], one without. In every round,
// in a shuffled order: greet's constant edited under the first (applied
// in process), the same edit under the second (rebuild and restart), and
// main's constant edited under the first (outside the plugin tree: a
// rebuild and restart of the program that links the loader). Then, on a
// freshly restarted program, K reloads in a row and its VmRSS after each.
// Only the golive built from the tree runs it, not a -baseline: the
// fixture's hot module is the tree's (a replace to the repository's hot/),
// and golive and hot speak a protocol of their own, which an earlier
// golive need not share.
func (b *bench) pluginScenario() error {
	res := &pluginResult{reloadsK: b.opts.reloads}
	b.res.plugin = res
	if err := reload.Supported(b.ctx, b.repo, childEnv(b.keepGOFLAGS)); err != nil {
		res.skipped = err.Error()
		b.logf("plugin: skipped: %v", err)
		return nil
	}
	s := b.shape
	s.Hot = filepath.Join(b.repo, "hot")
	var on, off *watcherTool
	for _, name := range []string{"plugins", "plugins off"} {
		fx, err := b.newFixture("fx-golive-"+sanitize(name), s)
		if err != nil {
			return err
		}
		if name == "plugins" {
			if err := fx.write(".reload.toml", "[plugins]\npackages = [\"./internal/greet\"]\n"); err != nil {
				return err
			}
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		t := &watcherTool{
			name: "golive", setting: name, fx: fx, port: port, c: newClient(port),
			starts: filepath.Join(b.work, "starts-golive-"+sanitize(name)+".log"),
			events: &eventLog{path: filepath.Join(b.work, "events-golive-"+sanitize(name)+".jsonl")},
		}
		t.argv = []string{b.golives[0].path, "-C", fx.dir, "--events", t.events.path}
		b.logf("plugin: starting %s: %s", t.label(), t.argv)
		if _, _, err := t.launch(b.ctx, b, 5*time.Minute); err != nil {
			return err
		}
		defer t.shutdown()
		if name == "plugins" {
			on = t
		} else {
			off = t
		}
	}

	type participant struct {
		s     *series
		round func(token string) sample
	}
	ps := []participant{
		{&series{label: pathInProc}, func(tok string) sample { return b.pluginRound(on, pathInProc, tok) }},
		{&series{label: pathOff}, func(tok string) sample { return b.pluginRound(off, pathOff, tok) }},
		{&series{label: pathOutside}, func(tok string) sample { return b.pluginRound(on, pathOutside, tok) }},
	}
	rng := rand.New(rand.NewPCG(5, uint64(time.Now().UnixNano())))
	for r := -1; r < b.opts.rounds; r++ {
		if r < 0 {
			b.logf("plugin: warm-up round")
		} else {
			b.logf("plugin: round %d/%d", r+1, b.opts.rounds)
		}
		for _, i := range rng.Perm(len(ps)) {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			p := ps[i]
			tok := fmt.Sprintf("p%02d-%s-%06d", r+1, sanitize(p.s.label), time.Now().UnixNano()%1e6)
			smp := p.round(tok)
			if r >= 0 {
				p.s.samples = append(p.s.samples, smp)
			}
			if !smp.ok {
				b.logf("  %s: %s", p.s.label, smp.err)
			}
		}
	}
	for _, p := range ps {
		res.series = append(res.series, p.s)
	}
	if pid, ok := getInt(off.c, "/pid"); ok {
		res.offRSS, _, _ = memStatus(pid)
	}
	if err := b.pluginMemory(on, res); err != nil {
		res.memErr = err.Error()
		b.logf("  plugin memory: %v", err)
	}
	return nil
}

// pluginRound makes one edit and waits for its answer. The in-process
// path counts only when the program kept its pid and its request counter
// and did not start again; the restart paths must start a new program.
func (b *bench) pluginRound(t *watcherTool, path, token string) sample {
	pid0, ok0 := getInt(t.c, "/pid")
	count0, _ := getInt(t.c, "/count")
	edit, answer := t.fx.setGreet, "/version"
	if path == pathOutside {
		edit, answer = t.fx.setVersion, "/main"
	}
	if err := edit(token); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	at, err := t.c.waitFor(b.ctx, answer, token, b.opts.roundTimeout, nil)
	if err != nil {
		return sample{err: err.Error()}
	}
	pid1, ok1 := getInt(t.c, "/pid")
	count1, _ := getInt(t.c, "/count")
	s := sample{ok: true, total: at.Sub(saved)}
	if path == pathInProc {
		s.parts = b.pluginSplit(t.events, saved, at)
	} else {
		s.parts, s.replayed = b.goliveSplit(t.events, saved, at)
	}
	time.Sleep(b.settle())
	s.starts, s.bindFails, _ = t.startsSince(saved)
	switch {
	case !ok0 || !ok1:
		s.ok, s.err = false, "no /pid answer around the edit"
	case path == pathInProc && (pid1 != pid0 || s.starts > 0):
		s.ok, s.err = false, fmt.Sprintf("not in process: pid %d → %d, %d start(s)", pid0, pid1, s.starts)
	case path == pathInProc && count1 <= count0:
		s.ok, s.err = false, fmt.Sprintf("same pid, but the request counter went from %d to %d", count0, count1)
	case path != pathInProc && pid1 == pid0:
		s.ok, s.err = false, fmt.Sprintf("expected a restart, but pid %d still answers", pid0)
	}
	return s
}

// pluginSplit reads where an in-process reload's time went from golive's
// events: build_start (package "plugin"), build_ok (the plugin build) and
// reload (load and swap, timed inside the program).
func (b *bench) pluginSplit(ev *eventLog, saved, at time.Time) map[string]time.Duration {
	rl, err := ev.waitFor(b.ctx, "reload", saved, 2*time.Second)
	if err != nil {
		return nil
	}
	var bs event
	for _, e := range ev.after(saved, "build_start") {
		if e.Package == "plugin" && e.Time.Before(rl.Time) {
			bs = e
		}
	}
	if bs.Type == "" {
		return nil
	}
	parts := map[string]time.Duration{partQuiet: bs.Time.Sub(saved), partOpen: msDuration(rl.OpenMS), partSwap: msDuration(rl.SwapMS)}
	if oks := ev.after(bs.Time.Add(-time.Nanosecond), "build_ok"); len(oks) > 0 {
		parts[partBuild] = oks[0].duration()
	}
	rest := at.Sub(saved)
	for _, d := range parts {
		rest -= d
	}
	parts[partRest] = rest
	return parts
}

// pluginMemory restarts the program (an edit outside the plugin tree),
// then reloads it K times in a row, reading its VmRSS after each reload's
// first answer.
func (b *bench) pluginMemory(t *watcherTool, res *pluginResult) error {
	b.logf("plugin: memory, a restart then %d reloads", res.reloadsK)
	tok := fmt.Sprintf("mem-restart-%06d", time.Now().UnixNano()%1e6)
	if err := t.fx.setVersion(tok); err != nil {
		return err
	}
	if _, err := t.c.waitFor(b.ctx, "/main", tok, b.opts.roundTimeout, nil); err != nil {
		return err
	}
	pid, ok := getInt(t.c, "/pid")
	if !ok {
		return fmt.Errorf("no /pid answer")
	}
	time.Sleep(b.settle()) // golive's post-start work, out of the way
	rss, _, err := memStatus(pid)
	if err != nil {
		return err
	}
	res.memRSS = append(res.memRSS, rss)
	for k := 1; k <= res.reloadsK; k++ {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		tok := fmt.Sprintf("mem-%02d-%06d", k, time.Now().UnixNano()%1e6)
		if err := t.fx.setGreet(tok); err != nil {
			return err
		}
		if _, err := t.c.waitFor(b.ctx, "/version", tok, b.opts.roundTimeout, nil); err != nil {
			return fmt.Errorf("reload %d: %w", k, err)
		}
		now, ok := getInt(t.c, "/pid")
		if !ok {
			return fmt.Errorf("reload %d: no /pid answer", k)
		}
		if now != pid {
			return fmt.Errorf("reload %d: the program restarted (pid %d → %d)", k, pid, now)
		}
		res.memInProc++
		if rss, _, err = memStatus(pid); err != nil {
			return err
		}
		res.memRSS = append(res.memRSS, rss)
	}
	return nil
}

// getInt asks path for an integer.
func getInt(c *client, path string) (int, bool) {
	body, ok := c.get(path)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(body)
	return n, err == nil
}

// perReload is the memory a reload adds: the slope from the first reload
// to the last (the first one also maps what every later one shares).
func (r *pluginResult) perReload() (int64, bool) {
	k := len(r.memRSS) - 1
	if k < 2 {
		return 0, false
	}
	return (r.memRSS[k] - r.memRSS[1]) / int64(k-1), true
}

func reportPlugin(w io.Writer, b *bench) {
	r := b.res.plugin
	if r == nil {
		return
	}
	fmt.Fprintf(w, "### Plugin: in-process reload beside restart (ms, %d interleaved rounds after a warm-up)\n\n", b.opts.rounds)
	if r.skipped != "" {
		fmt.Fprintf(w, "Skipped: in-process reload cannot work here (%s).\n\n", r.skipped)
		return
	}
	fmt.Fprintln(w, "The fixture is the latency fixture plus `internal/greet` (imports `strings` only), whose `Version` main registers with `hot.Func` and serves on `/version`; `/main` answers main's own constant, `/count` the requests the process served. Two golive run on two copies: one with `[plugins] packages = [\"./internal/greet\"]` in `.reload.toml` (the program is then built with `-tags golive`, which links the loader), one without.")
	fmt.Fprintln(w)
	off := r.path(pathOff)
	var offMed time.Duration
	if off != nil {
		offMed = off.totals().med
	}
	edits := map[string]string{
		pathInProc:  "greet's constant, `[plugins]` on",
		pathOff:     "greet's constant, no `[plugins]`",
		pathOutside: "main's constant, `[plugins]` on",
	}
	fmt.Fprintln(w, "| path | edit | median | min | max | × restart, plugins off | paired × restart, plugins off | starts per save | ok |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.series {
		st := s.totals()
		starts := 0
		for _, x := range s.samples {
			starts += x.starts
		}
		perSave := "–"
		if len(s.samples) > 0 {
			perSave = fmt.Sprintf("%.1f", float64(starts)/float64(len(s.samples)))
		}
		if st.n == 0 {
			fmt.Fprintf(w, "| %s | %s | – | – | – | – | – | %s | 0/%d |\n", s.label, edits[s.label], perSave, st.of)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", s.label, edits[s.label], ms(st.med), ms(st.min), ms(st.max),
			ratio(st.med, offMed), pairedRatio(s, off), perSave, st.n, st.of)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ok: for the in-process path, the new answer came from the same pid, with a larger request counter and no start of the program; for the restart paths, from a new pid. Only ok rounds are timed.")
	fmt.Fprintln(w)
	for _, s := range r.series {
		if s.label != pathInProc {
			fmt.Fprintf(w, "%s: %s builds replayed (compile and link only), the rest `go build`.\n", s.label, replayedOf(s))
		}
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| part (medians in ms, from golive's --events) | in-process reload | restart, plugins off | restart, edit outside the plugin tree |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	rows := []struct{ label, part string }{
		{"save → build starts (quiet window)", partQuiet},
		{"build (in process: the plugin's; else the program's)", partBuild},
		{partOpen, partOpen},
		{partSwap, partSwap},
		{"stop the old program", partStop},
		{"start → first answer", partAnswer},
		{"rest (delivery or rename and exec, event gaps, polling)", partRest},
	}
	for _, row := range rows {
		line := "| " + row.label
		for _, s := range r.series {
			cell := "–"
			if st, ok := s.part(row.part); ok {
				f := ms
				if row.part == partSwap {
					f = msFine // well under a millisecond
				}
				cell = fmt.Sprintf("%s (%s–%s)", f(st.med), f(st.min), f(st.max))
			}
			line += " | " + cell
		}
		fmt.Fprintln(w, line+" |")
	}
	line := "| total (median of totals)"
	for _, s := range r.series {
		line += " | " + ms(s.totals().med)
	}
	fmt.Fprintln(w, line+" |")
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Memory: after a restart (an edit of main), %d reloads in a row; the program's VmRSS after each one's first answer.\n\n", r.reloadsK)
	fmt.Fprintln(w, "| measure | value |")
	fmt.Fprintln(w, "|---|---:|")
	if len(r.memRSS) > 0 {
		fmt.Fprintf(w, "| VmRSS after the restart, before any reload | %.1f MB |\n", mb(r.memRSS[0]))
		shown := map[int]bool{}
		for _, k := range []int{1, 5, 10, len(r.memRSS) - 1} {
			if k >= 1 && k < len(r.memRSS) && !shown[k] {
				shown[k] = true
				fmt.Fprintf(w, "| VmRSS after reload %d | %.1f MB |\n", k, mb(r.memRSS[k]))
			}
		}
		if len(r.memRSS) > 1 {
			fmt.Fprintf(w, "| first reload (0 → 1) | %+.1f MB |\n", mb(r.memRSS[1]-r.memRSS[0]))
		}
		if d, ok := r.perReload(); ok {
			fmt.Fprintf(w, "| **per reload** (reload 1 → %d) | **%.2f MB** |\n", len(r.memRSS)-1, mb(d))
		}
	}
	fmt.Fprintf(w, "| reloads in process (same pid) | %d/%d |\n", r.memInProc, r.reloadsK)
	if r.offRSS > 0 {
		fmt.Fprintf(w, "| for comparison: the plugins-off program's VmRSS after its rounds (no loader linked) | %.1f MB |\n", mb(r.offRSS))
	}
	if r.memErr != "" {
		fmt.Fprintf(w, "| error | %s |\n", r.memErr)
	}
	fmt.Fprintln(w)
}

// pluginSummary is the plugin scenario's part of the summary line.
func pluginSummary(r *pluginResult) string {
	if r.skipped != "" {
		return "plugin scenario skipped (" + r.skipped + ")"
	}
	in, off, out := r.path(pathInProc), r.path(pathOff), r.path(pathOutside)
	if in == nil || off == nil || out == nil {
		return "plugin scenario incomplete"
	}
	si, so, su := in.totals(), off.totals(), out.totals()
	s := fmt.Sprintf("plugin: in-process reload %s ms (%d/%d in process) = %s the restart with plugins off (%s ms; paired %s) and %s the restart on an edit outside the plugin tree (%s ms)",
		ms(si.med), si.n, si.of, ratio(si.med, so.med), ms(so.med), pairedRatio(in, off), ratio(si.med, su.med), ms(su.med))
	if d, ok := r.perReload(); ok {
		s += fmt.Sprintf(", %.2f MB per reload", mb(d))
	}
	return s
}
