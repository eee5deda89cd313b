//go:build linux

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// The fallback rows of the shapes scenario (issue 15, requirement 4): a
// save no replay can take, which golive hands to go build, against the
// same go build run by hand in the same rounds. The save imports a
// standard package the edited package did not import before (it swaps
// one for another, so every save's import is new), and golive says
// "imports hash/crc32, new to its package" and runs go build -x -work,
// learning the recipe from its trace. Only the builds are compared:
// golive's build_ok.duration_ms (its checks, go build, reading the trace
// and stamping the inputs) and go build's wall time by hand.

// fallbackImports are the standard packages the fallback save swaps
// between: small, and imported by nothing else in the fixture.
var fallbackImports = [2]string{"hash/adler32", "hash/crc32"}

// fallbackCopy is a copy whose edit package has fallback.go, and which
// import that file holds now.
type fallbackCopy struct {
	*shapeCopy
	n int // saves so far: fallbackImports[n%2] is in the file
}

// fallbackRow is one shape's fallback: golive's running session on a
// copy of its own, and the go build by hand on another.
type fallbackRow struct {
	shape  projectShape
	golive *series
	byHand *series
}

// newFallbackCopy makes c a fallback copy: fallback.go written before
// the first build, as a file the package always had.
func newFallbackCopy(c *shapeCopy) (*fallbackCopy, error) {
	fc := &fallbackCopy{shapeCopy: c}
	return fc, fc.write("initial")
}

// write writes fallback.go with the current import and token v.
func (fc *fallbackCopy) write(v string) error {
	return writeFile(filepath.Join(fc.fx.edit, "fallback.go"), fmt.Sprintf(`package edit

// A blank import of a standard package: the benchmark's fallback save
// swaps it for another, which no replay can follow.
import _ %q

// fallbackToken changes on every save, so that go's cache has no build
// of the package.
const fallbackToken = %q
`, fallbackImports[fc.n%2], v))
}

// save swaps the import and writes the token.
func (fc *fallbackCopy) save(v string) error {
	fc.n++
	return fc.write(v)
}

// fallbackSteps returns the shape's fallback row and the steps that fill
// it.
func (b *bench) fallbackSteps(proj *shapeProject) (*fallbackRow, []shapeStep) {
	name := proj.kind.name()
	row := &fallbackRow{shape: proj.kind,
		golive: &series{label: name + ", " + editFallback + ": golive"},
		byHand: &series{label: name + ", " + editFallback + ": go build by hand", floor: true},
	}
	return row, []shapeStep{
		{s: row.golive, round: func(tok string) sample { return b.fallbackGolive(proj, tok) }},
		{s: row.byHand, round: func(tok string) sample { return b.fallbackByHand(proj.fbFloor, tok) }},
	}
}

// editFallback names the fallback save in labels and the report.
const editFallback = "needs go build (a new import)"

// fallbackGolive saves the fallback in golive's fallback session and
// waits for the program its build starts: only the build is timed.
func (b *bench) fallbackGolive(proj *shapeProject, tok string) sample {
	t, fc := proj.fbLive, proj.fbLiveCopy
	if err := fc.save(tok); err != nil {
		return sample{err: err.Error()}
	}
	saved := time.Now()
	e, err := t.events.waitBuilt(b.ctx, saved, b.opts.roundTimeout)
	if err != nil {
		return sample{err: err.Error()}
	}
	if e.Type != "build_ok" {
		return sample{err: "golive's build failed"}
	}
	if _, err := t.events.waitFor(b.ctx, "start", e.Time, b.opts.roundTimeout); err != nil {
		return sample{err: err.Error()}
	}
	b.shapeRest()
	return sample{ok: true, total: e.duration(), replayed: e.Replayed, parts: map[string]time.Duration{partBuild: e.duration()}}
}

// fallbackByHand is the same save built by hand with golive's flags.
func (b *bench) fallbackByHand(fc *fallbackCopy, tok string) sample {
	if err := fc.save(tok); err != nil {
		return sample{err: err.Error()}
	}
	d, err := b.goBuild(fc.fx.dir, goliveFlags(), fc.bin)
	if err != nil {
		return sample{err: err.Error()}
	}
	return sample{ok: true, total: d, parts: map[string]time.Duration{partBuild: d}}
}

// reportFallback prints the fallback table.
func reportFallback(w io.Writer, r *shapesResult) {
	if len(r.fallback) == 0 {
		return
	}
	fmt.Fprintf(w, "### Shapes: a save left to go build (ms, %d interleaved rounds after a warm-up)\n\n", r.rounds)
	fmt.Fprintf(w, "| shape | golive's build | `go build %s` by hand | golive ÷ by hand (target ≤ %.2f×) | golive's builds that went to go build | ok |\n", strings.Join(goliveFlags(), " "), targetFallback)
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|")
	for _, row := range r.fallback {
		g, h := row.golive.totals(), row.byHand.totals()
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d/%d, %d/%d |\n", row.shape.name(), medOrDash(g), medOrDash(h), ratio(g.med, h.med),
			countOf(row.golive, func(x sample) bool { return !x.replayed }), g.n, g.of, h.n, h.of)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Medians. The save rewrites `fallback.go` in edit's package, swapping its blank import between %s and %s and changing an unexported constant, so that no replay can take it (`imports …, new to its package`) and go's cache has no build of the package. golive's build is its `build_ok.duration_ms`: its checks, `go build -x -work` with its flags, reading the trace and stamping the inputs the recipe learns. By hand: `go build` with the same flags, wall time, on a copy of its own in the same rounds. Each has a copy of its own; golive's session runs from the start of the scenario, and the benchmark waits for the new program's `start` event after each of its builds.\n\n",
		fallbackImports[0], fallbackImports[1])
}

// targetFallback is issue 15's bound on a build left to go build.
const targetFallback = 1.05

// medOrDash is a median in ms, or a dash with no sample.
func medOrDash(st stats) string {
	if st.n == 0 {
		return "–"
	}
	return ms(st.med)
}

// fallbackFailures lists the fallback rounds that failed, and golive's
// fallback saves that replayed (the save did not need go build).
func (r *shapesResult) fallbackFailures() []string {
	var notes []string
	for _, row := range r.fallback {
		for _, s := range []*series{row.golive, row.byHand} {
			for i, x := range s.samples {
				switch {
				case !x.ok:
					notes = append(notes, fmt.Sprintf("shapes round %d, %s: %s", i+1, s.label, x.err))
				case x.replayed:
					notes = append(notes, fmt.Sprintf("shapes round %d, %s: replayed; the save must need go build", i+1, s.label))
				}
			}
		}
	}
	return notes
}

// fallbackSummary is the summary's clause on the fallback rows.
func fallbackSummary(r *shapesResult) string {
	var rs []float64
	for _, row := range r.fallback {
		g, h := row.golive.totals(), row.byHand.totals()
		if g.n > 0 && h.n > 0 {
			rs = append(rs, float64(g.med)/float64(h.med))
		}
	}
	if len(rs) == 0 {
		return ""
	}
	return fmt.Sprintf("a save left to go build %s the same go build by hand over %d shapes (target ≤ %.2f×)", span(rs), len(rs), targetFallback)
}
