//go:build linux

package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
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
		t.Skip("runs golive, go build and servers for about a minute")
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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
