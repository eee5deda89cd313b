//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestQuick runs the benchmark in -quick mode once, to prove it works end
// to end: it builds golive, generates the fixtures, runs every scenario
// and prints every table. It asserts nothing about timings: a shared,
// noisy machine makes any figure meaningless as a test.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs golive, go build and servers for about half a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	if code := run(ctx, []string{"-quick"}, &out, &progress); code != 0 {
		t.Fatalf("bench -quick exited %d\nprogress:\n%s\nreport:\n%s", code, progress.String(), out.String())
	}
	report := out.String()
	for _, want := range []string{
		"## golive benchmark (quick run)",
		"### Latency: save → new answer",
		"| golive (default) |",
		"### Where golive's time goes",
		"### Storm:",
		"### Edit during build",
		"### Idle and start-up",
		"### Plugin: in-process reload beside restart",
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
