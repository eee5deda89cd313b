//go:build linux

package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestQuick runs the benchmark in -quick mode once, to prove it works end
// to end: it builds golive, generates the fixtures, runs every scenario
// and prints every table. It asserts nothing about timings: a shared,
// noisy machine makes any figure meaningless as a test.
//
// The run has a -baseline, a second golive built from the same tree into
// the test's own directory, so that the baseline's rows and comparison
// are proved too: that adds less than half to the run's time, where a
// second run without it would double it. Without -baseline the same code
// runs with one golive instead of two.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs golive, go build and servers for a few minutes")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	baseline := filepath.Join(t.TempDir(), "golive-baseline")
	build := exec.Command("go", "build", "-o", baseline, "./cmd/golive")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the baseline golive: %v\n%s", err, out)
	}
	// Under go test's own ten minutes, so that a slow run fails with its
	// progress rather than a panic. The test took 275–411 s in .ci/run
	// here; 8 minutes left too little room on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	if code := run(ctx, []string{"-quick", "-baseline", baseline}, &out, &progress); code != 0 {
		t.Fatalf("bench -quick exited %d\nprogress:\n%s\nreport:\n%s", code, progress.String(), out.String())
	}
	report := out.String()
	for _, want := range []string{
		"## golive benchmark (quick run)",
		"### Latency: save → new answer",
		"| golive (default) |",
		"| golive (baseline ",
		"- baseline: golive (baseline ",
		"### Where golive's time goes",
		"### Storm:",
		"### Edit during build",
		"### Idle and start-up: the large tree",
		"### Idle and start-up: the monorepo, a go.work of 3 modules",
		"'s watches at the end of the window: inotify",
		"save → new answer after the idle window",
		"### golive beside its baseline:",
		"| latency: paired, median of each round's ratio",
		"| start-up: paired, median of each round's ratio",
		"| idle: VmRSS at the end of the window, MB |",
		"### Plugin: in-process reload beside restart",
		"### Browser: a page open through golive's proxy",
		"### Debugger: save → new answer with --debug and without",
		"### Shapes: save → serving in four kinds of project",
		"| go.work | first save of a session |",
		"### Shapes: a save left to go build",
		"### templ: save of a .templ file → the new page painted",
		"### Services: a shared package's edit in two services",
		"| shared package | one go build of both (the floor) |",
		"| a's own package | golive, one session running both |",
		"**Summary:**",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("report:\n%s", report)
	}
}

func TestParseOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "shapes", want: []string{"shapes"}},
		{in: "latency, storm", want: []string{"latency", "storm"}},
		{in: "services", want: []string{"services"}},
		{in: "shapes,shapes", want: []string{"shapes"}},
		{in: "shape", err: true},
		{in: "", err: true},
		{in: "latency,", err: true},
	} {
		got, err := parseOnly(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseOnly(%q): error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("parseOnly(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for _, name := range tc.want {
			if !got[name] {
				t.Errorf("parseOnly(%q) lacks %s", tc.in, name)
			}
		}
	}
}

// TestParseHandBuild reads a trace shaped as go build -x -work prints
// one: the edited file's compile alone, or every compile, and the link.
func TestParseHandBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"internal/edit/body.go", "internal/edit/version.go", "internal/front/front.go", "main.go", "other.go"} {
		if err := writeFile(filepath.Join(dir, f), "package x\n"); err != nil {
			t.Fatal(err)
		}
	}
	trace := strings.Join([]string{
		"WORK=/tmp/go-build1",
		"mkdir -p $WORK/b002/",
		"cat >/tmp/go-build1/b002/importcfg << 'EOF' # internal",
		"packagefile fmt=/cache/fmt-d",
		"EOF",
		"cd " + dir,
		`/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -trimpath "$WORK/b002=>" -p example.com/app/internal/edit -importcfg $WORK/b002/importcfg -pack ./internal/edit/body.go ./internal/edit/version.go`,
		"go tool buildid -w $WORK/b002/_pkg_.a # internal",
		`/go/pkg/tool/linux_amd64/compile -o $WORK/b003/_pkg_.a -trimpath "$WORK/b003=>" -p example.com/app/internal/front -importcfg $WORK/b003/importcfg -pack ./internal/front/front.go`,
		`/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -trimpath "$WORK/b001=>" -p main -importcfg $WORK/b001/importcfg -pack ./main.go`,
		"cd .",
		"GOROOT='/go root' /go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -w $WORK/b001/_pkg_.a",
		"mv $WORK/b001/exe/a.out /tmp/bin",
	}, "\n")
	for _, tc := range []struct {
		importers bool
		want      []string
	}{
		{false, []string{"example.com/app/internal/edit"}},
		{true, []string{"example.com/app/internal/edit", "example.com/app/internal/front", "main"}},
	} {
		h, err := parseHandBuild(trace, dir, filepath.Join(dir, "internal/edit/body.go"), tc.importers)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.packages(); !slices.Equal(got, tc.want) {
			t.Errorf("importers %v: compiles %v, want %v", tc.importers, got, tc.want)
		}
		if got := h.compiles[0].args[4]; got != "/tmp/go-build1/b002=>" {
			t.Errorf("trimpath %q, want the work directory unquoted", got)
		}
		if h.link.dir != dir || !slices.Equal(h.link.env, []string{"GOROOT=/go root"}) || filepath.Base(h.link.args[0]) != "link" {
			t.Errorf("link %+v", h.link)
		}
	}
	if _, err := parseHandBuild(trace, dir, filepath.Join(dir, "other.go"), true); err == nil {
		t.Error("a trace without the edited file's compile: no error")
	}
}
