// Command eventgaps measures the file-system event bursts that common save
// paths produce, to choose golive's quiet window (watch.debounce) by
// measurement rather than by guess.
//
// For each action it creates a fresh directory under -dir, watches it with
// fsnotify the way golive does (every directory, recursively, skipping the
// ones golive skips, adding directories created later), runs the action -n
// times and, for each run, records every event from the start of the action
// until no event has arrived for -settle. Each event is stamped when it is
// received from fsnotify, as golive's watcher stamps it. A run's burst is
// measured twice:
//
//   - "golive": only the events golive's default filter passes to the
//     debounce (*.go but not _test.go, go.mod, go.sum, go.work, not editor
//     temp files, not chmod-only, nothing under .git or hidden dirs). These
//     are the events that restart the quiet timer, so their gaps decide
//     whether one burst gives one batch.
//   - "all": every event under the watched directories, for reference.
//
// The filter is golive's own, imported (watcher.NewFilter, with default
// options), not a copy: which directories are watched and which events
// count follow the watcher as it changes.
//
// The output is Markdown: per action, the events per burst (median), the
// largest gap between consecutive events within a burst (median, p95 and
// max over the runs) and the burst's span, first event to last (median,
// max); then, for a few candidate windows, how many bursts each would have
// split in two or more.
//
//	go -C tools run ./eventgaps                   # all actions, 20 runs each
//	go -C tools run ./eventgaps -n 50 -only vim,git-checkout
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

var (
	runs    = flag.Int("n", 20, "runs per action")
	baseDir = flag.String("dir", "", "directory for the temp trees (default: os.TempDir; use a disk like your projects')")
	settle  = flag.Duration("settle", 500*time.Millisecond, "silence that ends a run's recording")
	maxWait = flag.Duration("maxwait", 20*time.Second, "longest a run's recording may last")
	only    = flag.String("only", "", "comma-separated action names to run (default: all)")
	windows = flag.String("windows", "5ms,10ms,20ms,30ms,50ms,100ms", "candidate quiet windows to count split bursts for")
	verbose = flag.Bool("v", false, "print every run's burst")
	keep    = flag.Bool("keep", false, "keep the temp trees")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eventgaps:", err)
		os.Exit(1)
	}
}

func run() error {
	cands, err := parseWindows(*windows)
	if err != nil {
		return err
	}
	base := *baseDir
	if base == "" {
		base = os.TempDir()
	}
	top, err := os.MkdirTemp(base, "eventgaps-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(top)
	}
	home = filepath.Join(top, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		return err
	}

	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var results []result
	header(top)
	for _, a := range actions() {
		if len(want) > 0 && !want[a.name] {
			continue
		}
		if a.skip != nil {
			if why := a.skip(); why != "" {
				fmt.Fprintf(os.Stderr, "skip %s: %s\n", a.name, why)
				continue
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d runs...\n", a.name, *runs)
		r, err := measure(a, filepath.Join(top, a.name))
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		results = append(results, r)
	}
	fmt.Printf("\nload average at end: %s\n", loadavg())
	report(results, cands)
	return nil
}

func header(top string) {
	fmt.Printf("eventgaps: %s, %s/%s, %d CPUs, kernel %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), kernel())
	fmt.Printf("tree: %s (%s), runs per action: %d, settle: %v\n", top, fsType(top), *runs, *settle)
	if v := firstLine("vim", "--version"); v != "" {
		fmt.Printf("vim: %s\n", v)
	}
	if v := firstLine("git", "--version"); v != "" {
		fmt.Printf("git: %s\n", v)
	}
	fmt.Printf("load average at start: %s\n", loadavg())
}

func parseWindows(s string) ([]time.Duration, error) {
	var ds []time.Duration
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, fmt.Errorf("-windows: %w", err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}
