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
// The output is Markdown: per action, the events per burst (median), the
// largest gap between consecutive events within a burst (median, p95 and
// max over the runs) and the burst's span, first event to last (median,
// max); then, for a few candidate windows, how many bursts each would have
// split in two or more.
//
//	go run ./bench/eventgaps              # all actions, 20 runs each
//	go run ./bench/eventgaps -n 50 -only vim,git
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
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

// action is one way of saving that is measured.
type action struct {
	name  string
	desc  string
	setup func(dir string) error        // before watching starts
	pre   func(dir string, i int) error // before run i, outside the recording; may be nil
	run   func(dir string, i int) error // the action itself, recorded
	skip  func() string                 // reason it cannot run here; may be nil
}

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

// ---------------------------------------------------------------------------
// Recording.

// rec is one event as received.
type rec struct {
	at      time.Time
	rel     string
	op      fsnotify.Op
	counted bool // golive's default filter passes it to the debounce
}

// recorder watches a tree and keeps the events received since the last take.
type recorder struct {
	root string
	fsw  *fsnotify.Watcher
	done chan struct{}

	mu       sync.Mutex
	evs      []rec
	last     time.Time // when the last event arrived
	overflow int
	errs     []error
}

func newRecorder(root string) (*recorder, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	r := &recorder{root: root, fsw: fsw, done: make(chan struct{})}
	if err := r.addTree(root, nil); err != nil {
		fsw.Close()
		return nil, err
	}
	go r.loop()
	return r, nil
}

// addTree watches dir and every directory under it that golive would
// watch. With found non-nil it reports the files already there, as golive
// does for a directory created after start.
func (r *recorder) addTree(dir string, found func(rel string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel := r.rel(p)
		if d.IsDir() {
			if rel != "." && skipDir(path.Base(rel)) {
				return filepath.SkipDir
			}
			if err := r.fsw.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
		if found != nil {
			found(rel)
		}
		return nil
	})
}

func (r *recorder) rel(p string) string {
	rel, err := filepath.Rel(r.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// loop stamps each event on receipt. It does no more work than golive's
// watcher loop does, so the gaps are those golive would see.
func (r *recorder) loop() {
	defer close(r.done)
	for {
		select {
		case ev, ok := <-r.fsw.Events:
			if !ok {
				return
			}
			now := time.Now()
			rel := r.rel(ev.Name)
			r.mu.Lock()
			r.evs = append(r.evs, rec{at: now, rel: rel, op: ev.Op, counted: counted(rel, ev.Op)})
			r.last = now
			r.mu.Unlock()
			if ev.Has(fsnotify.Create) && isDir(ev.Name) && !skipDir(path.Base(rel)) {
				// golive walks a new directory and emits the files in it.
				err := r.addTree(ev.Name, func(frel string) {
					t := time.Now()
					r.mu.Lock()
					r.evs = append(r.evs, rec{at: t, rel: frel, op: fsnotify.Create, counted: counted(frel, fsnotify.Create)})
					r.last = t
					r.mu.Unlock()
				})
				if err != nil {
					r.mu.Lock()
					r.errs = append(r.errs, err)
					r.mu.Unlock()
				}
			}
		case err, ok := <-r.fsw.Errors:
			if !ok {
				return
			}
			r.mu.Lock()
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				r.overflow++
			} else {
				r.errs = append(r.errs, err)
			}
			r.last = time.Now()
			r.mu.Unlock()
		}
	}
}

// quiet waits until no event has arrived for d (and at least d has passed
// since from), or until limit has passed since from. It reports whether
// the silence was reached.
func (r *recorder) quiet(from time.Time, d, limit time.Duration) bool {
	for {
		now := time.Now()
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		if last.Before(from) {
			last = from
		}
		if now.Sub(last) >= d {
			return true
		}
		if now.Sub(from) >= limit {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// take returns the events received since the last take and forgets them.
func (r *recorder) take() ([]rec, int, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs, ov, errs := r.evs, r.overflow, r.errs
	r.evs, r.overflow, r.errs = nil, 0, nil
	return evs, ov, errs
}

func (r *recorder) close() {
	r.fsw.Close()
	<-r.done
}

func isDir(name string) bool {
	info, err := os.Lstat(name)
	return err == nil && info.IsDir()
}

// The filter below mirrors golive's default one (watcher/match.go and
// watcher/watch.go) without importing it, so the tool keeps building while
// the watcher changes.

func skipDir(name string) bool {
	switch name {
	case ".git", ".hg", ".svn", ".bzr", ".jj", "node_modules", "testdata":
		return true
	}
	return strings.HasPrefix(name, ".")
}

func counted(rel string, op fsnotify.Op) bool {
	if op == fsnotify.Chmod || rel == "." {
		return false
	}
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		if skipDir(path.Base(dir)) {
			return false
		}
	}
	name := path.Base(rel)
	if name == "4913" || strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasSuffix(name, "~") || strings.HasPrefix(name, ".#") ||
		strings.HasSuffix(name, "___jb_tmp___") || strings.HasSuffix(name, "___jb_old___") {
		return false
	}
	switch name {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// ---------------------------------------------------------------------------
// Measuring.

// burst is what one run produced, in one view.
type burst struct {
	events int
	maxGap time.Duration // largest gap between consecutive events
	span   time.Duration // first event to last
}

func measureBurst(evs []rec, keep func(rec) bool) burst {
	var b burst
	var first, prev time.Time
	for _, e := range evs {
		if !keep(e) {
			continue
		}
		if b.events == 0 {
			first = e.at
		} else if g := e.at.Sub(prev); g > b.maxGap {
			b.maxGap = g
		}
		prev = e.at
		b.events++
	}
	if b.events > 0 {
		b.span = prev.Sub(first)
	}
	return b
}

type result struct {
	a        action
	golive   []burst
	all      []burst
	took     []time.Duration // the action's own duration
	capped   int             // runs whose recording hit -maxwait
	overflow int
	load     [2]string // load average when the action started and ended
}

func measure(a action, dir string) (res result, err error) {
	res = result{a: a}
	res.load[0] = loadavg()
	defer func() { res.load[1] = loadavg() }()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	if err := a.setup(dir); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	w, err := newRecorder(dir)
	if err != nil {
		return res, err
	}
	defer w.close()
	for i := 0; i < *runs; i++ {
		if a.pre != nil {
			if err := a.pre(dir, i); err != nil {
				return res, fmt.Errorf("run %d: prepare: %w", i, err)
			}
		}
		w.quiet(time.Now(), *settle, *maxWait)
		w.take()
		t0 := time.Now()
		err := a.run(dir, i)
		t1 := time.Now()
		if err != nil {
			return res, fmt.Errorf("run %d: %w", i, err)
		}
		if !w.quiet(t1, *settle, *maxWait) {
			res.capped++
		}
		evs, ov, errs := w.take()
		if len(errs) > 0 {
			return res, fmt.Errorf("run %d: watch: %w", i, errors.Join(errs...))
		}
		res.overflow += ov
		g := measureBurst(evs, func(e rec) bool { return e.counted })
		all := measureBurst(evs, func(rec) bool { return true })
		res.golive = append(res.golive, g)
		res.all = append(res.all, all)
		res.took = append(res.took, t1.Sub(t0))
		if *verbose {
			fmt.Fprintf(os.Stderr, "  %s #%d: took %v; golive %d ev, max gap %v, span %v; all %d ev, max gap %v, span %v\n",
				a.name, i, t1.Sub(t0).Round(time.Microsecond), g.events, g.maxGap, g.span, all.events, all.maxGap, all.span)
			if i == 0 {
				for _, e := range evs {
					mark := " "
					if e.counted {
						mark = "*"
					}
					fmt.Fprintf(os.Stderr, "    %s +%9.3fms %-18s %s\n", mark, ms(e.at.Sub(t0)), e.op, e.rel)
				}
			}
		}
	}
	return res, nil
}

// ---------------------------------------------------------------------------
// Reporting.

func report(results []result, cands []time.Duration) {
	view := func(title string, pick func(result) []burst) {
		fmt.Printf("\n### %s\n\n", title)
		fmt.Println("| action | runs | events/burst (median) | max gap in burst: median | p95 | max | burst span: median | max |")
		fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range results {
			bs := pick(r)
			var evs []float64
			var gaps, spans []time.Duration
			for _, b := range bs {
				evs = append(evs, float64(b.events))
				gaps = append(gaps, b.maxGap)
				spans = append(spans, b.span)
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.a.name, len(bs), num(median(evs)),
				dur(pct(gaps, 50)), dur(pct(gaps, 95)), dur(pct(gaps, 100)),
				dur(pct(spans, 50)), dur(pct(spans, 100)))
		}
	}
	view("Events golive's filter passes to the debounce (these restart the quiet window)", func(r result) []burst { return r.golive })
	view("All events under the watched directories", func(r result) []burst { return r.all })

	fmt.Printf("\n### Bursts a quiet window would split (golive view: max gap ≥ window), out of runs\n\n")
	fmt.Print("| action |")
	for _, c := range cands {
		fmt.Printf(" %v |", c)
	}
	fmt.Print("\n|---|")
	for range cands {
		fmt.Print("--:|")
	}
	fmt.Println()
	for _, r := range results {
		fmt.Printf("| %s |", r.a.name)
		for _, c := range cands {
			n := 0
			for _, b := range r.golive {
				if b.maxGap >= c {
					n++
				}
			}
			fmt.Printf(" %d/%d |", n, len(r.golive))
		}
		fmt.Println()
	}

	fmt.Printf("\n### Actions\n\n")
	for _, r := range results {
		fmt.Printf("- `%s`: %s (the command itself took median %s, max %s; load average %s at start, %s at end)",
			r.a.name, r.a.desc, dur(pct(r.took, 50)), dur(pct(r.took, 100)), r.load[0], r.load[1])
		if r.capped > 0 {
			fmt.Printf("; %d runs hit -maxwait", r.capped)
		}
		if r.overflow > 0 {
			fmt.Printf("; %d inotify queue overflows", r.overflow)
		}
		fmt.Println()
	}
	fmt.Println("\np95 is the nearest-rank percentile over the runs; a burst with one event has a max gap of 0.")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pct is the nearest-rank percentile p (0 < p ≤ 100) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p == 50 {
		n := len(s)
		if n%2 == 1 {
			return s[n/2]
		}
		return (s[n/2-1] + s[n/2]) / 2
	}
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", ms(d))
	default:
		return fmt.Sprintf("%.1f ms", ms(d))
	}
}

func num(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%d", int(x))
	}
	return fmt.Sprintf("%.1f", x)
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

// ---------------------------------------------------------------------------
// Environment.

func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// fsType names the file system holding dir, from /proc/self/mounts.
func fsType(dir string) string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "?"
	}
	best, typ := "", "?"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, typ = mp, f[2]
		}
	}
	return typ
}

// ---------------------------------------------------------------------------
// Actions.

func actions() []action {
	return []action{
		{
			name: "vim",
			desc: "real vim, `vim -u NONE -N -i NONE -Es -c 'set writebackup nobackup backupcopy=auto backupskip=' -c 'normal Gox' -c wq main.go`: vim's defaults (swap file, 4913 probe, rename to main.go~, write, remove the backup) except 'backupskip', whose default skips the backup under /tmp, where the tree is",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error {
				return command(dir, "vim", "-u", "NONE", "-N", "-i", "NONE", "-Es",
					"-c", "set writebackup nobackup backupcopy=auto backupskip=", "-c", "normal Gox", "-c", "wq", "main.go")
			},
			skip: needs("vim"),
		},
		{
			name: "vim-sim",
			desc: "vim's writebackup save in Go: create/chown/remove `4913`, rename main.go → main.go~, create and write main.go, fsync, chmod, remove main.go~",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return vimSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "atomic",
			desc: "atomic save (VS Code-style safe write): write and fsync a temp file next to main.go, rename it over main.go",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return atomicSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "goland",
			desc: "GoLand safe write: write main.go___jb_tmp___, rename main.go → main.go___jb_old___, rename the tmp to main.go, remove the old",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return golandSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "write50k",
			desc: "plain truncate-and-write: `os.WriteFile` of a 50 KB big.go",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "big.go"), sized(0, 50<<10), 0o644)
			},
			run: func(dir string, i int) error {
				return os.WriteFile(filepath.Join(dir, "big.go"), sized(i+1, 50<<10), 0o644)
			},
		},
		{
			name: "gofmt",
			desc: "real `gofmt -w strings.go` (a copy of GOROOT's src/strings/strings.go with its indentation stripped before each run; gofmt rewrites in place, keeping a `strings.go.<random>` backup while it writes)",
			setup: func(dir string) error {
				_, err := realGoFile()
				return err
			},
			pre: func(dir string, i int) error {
				src, err := realGoFile()
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "strings.go"), unindent(src), 0o644)
			},
			run: func(dir string, i int) error {
				return command(dir, filepath.Join(goroot(), "bin", "gofmt"), "-w", "strings.go")
			},
			skip: func() string {
				if _, err := os.Stat(filepath.Join(goroot(), "bin", "gofmt")); err != nil {
					return "no gofmt in GOROOT"
				}
				if _, err := realGoFile(); err != nil {
					return err.Error()
				}
				return ""
			},
		},
		{
			name:  "git-checkout",
			desc:  "real `git checkout` between two branches differing in 2,000 files (500 .go + 1,500 others in 20 directories), alternating",
			setup: gitSetup,
			run: func(dir string, i int) error {
				br := "b"
				if i%2 == 1 {
					br = "a"
				}
				return command(dir, "git", "checkout", "-q", br)
			},
			skip: needs("git"),
		},
		{
			name: "mod-tidy",
			desc: "`go mod tidy`-like rewrite: truncate-and-write go.mod, then go.sum, back to back",
			setup: func(dir string) error {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod(0), 0o644); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "go.sum"), goSum(0), 0o644)
			},
			run: func(dir string, i int) error {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod(i+1), 0o644); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "go.sum"), goSum(i+1), 0o644)
			},
		},
	}
}

func needs(bin string) func() string {
	return func() string {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " not installed"
		}
		return ""
	}
}

// home is the HOME of the commands run, outside every watched tree.
var home string

func command(dir, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// A HOME outside the watched tree: no user config, and nothing a tool
	// writes there (gofmt's telemetry, ~/.config) lands in the burst.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "TERM=dumb")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// vimSave does what vim 9 does on :w with 'writebackup' and
// 'backupcopy=auto' (bufwrite.c), minus the swap file.
func vimSave(dir, name string, data []byte) error {
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	probe := filepath.Join(dir, "4913")
	f, err := os.OpenFile(probe, os.O_CREATE|os.O_WRONLY|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	_ = f.Chown(os.Getuid(), os.Getgid())
	f.Close()
	if err := os.Remove(probe); err != nil {
		return err
	}
	bak := p + "~"
	if err := os.Rename(p, bak); err != nil {
		return err
	}
	f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(p, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Remove(bak)
}

func atomicSave(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

func golandSave(dir, name string, data []byte) error {
	p := filepath.Join(dir, name)
	tmp, old := p+"___jb_tmp___", p+"___jb_old___"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(p, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	return os.Remove(old)
}

// goSource is a small Go file whose content differs with i.
func goSource(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package main\n\nimport \"fmt\"\n\n// version %d\n\nfunc main() {\n", i)
	for j := 0; j < 40; j++ {
		fmt.Fprintf(&b, "\tfmt.Println(\"line %d of version %d\")\n", j, i)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// sized is a Go file of exactly n bytes whose content differs with i.
func sized(i, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package main\n\n// version %d\n\nvar data = []string{\n", i)
	for b.Len() < n-64 {
		fmt.Fprintf(&b, "\t\"%08d-%08d\",\n", i, b.Len())
	}
	b.WriteString("}\n")
	for b.Len() < n-1 {
		b.WriteByte('/')
	}
	b.WriteByte('\n')
	return b.Bytes()[:n]
}

func realGoFile() ([]byte, error) {
	return os.ReadFile(filepath.Join(goroot(), "src", "strings", "strings.go"))
}

// unindent strips leading whitespace from every line, which gofmt undoes.
func unindent(src []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	for k, l := range lines {
		lines[k] = bytes.TrimLeft(l, " \t")
	}
	return bytes.Join(lines, []byte("\n"))
}

func goMod(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module example.com/app\n\ngo 1.26.0\n\nrequire (\n")
	for j := 0; j < 10+i%3; j++ {
		fmt.Fprintf(&b, "\texample.com/dep%d v1.%d.0\n", j, i)
	}
	b.WriteString(")\n")
	return b.Bytes()
}

func goSum(i int) []byte {
	var b bytes.Buffer
	for j := 0; j < 60+i%3; j++ {
		fmt.Fprintf(&b, "example.com/dep%d v1.%d.0 h1:%044d=\n", j, i, j*7919+i)
		fmt.Fprintf(&b, "example.com/dep%d v1.%d.0/go.mod h1:%044d=\n", j, i, j*104729+i)
	}
	return b.Bytes()
}

// gitSetup makes a repository whose branches a and b differ in 2,000
// files: 20 directories of 25 .go and 75 other files each.
func gitSetup(dir string) error {
	git := func(args ...string) error {
		return command(dir, "git", append([]string{"-c", "user.name=eventgaps", "-c", "user.email=eventgaps@example.com",
			"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=a"}, args...)...)
	}
	write := func(version int) error {
		for d := 0; d < 20; d++ {
			sub := filepath.Join(dir, fmt.Sprintf("pkg%02d", d))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			for f := 0; f < 100; f++ {
				var name string
				var data []byte
				switch {
				case f < 25:
					name = fmt.Sprintf("file%02d.go", f)
					data = fmt.Appendf(nil, "package pkg%02d\n\n// version %d\nconst C%02d = %d\n", d, version, f, version*1000+f)
				case f < 50:
					name = fmt.Sprintf("data%02d.json", f)
					data = fmt.Appendf(nil, "{\"version\": %d, \"file\": %d}\n", version, f)
				case f < 75:
					name = fmt.Sprintf("notes%02d.md", f)
					data = fmt.Appendf(nil, "# notes %d\n\nversion %d\n", f, version)
				default:
					name = fmt.Sprintf("asset%02d.txt", f)
					data = bytes.Repeat(fmt.Appendf(nil, "v%d f%d ", version, f), 200)
				}
				if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := git("init", "-q"); err != nil {
		return err
	}
	if err := write(1); err != nil {
		return err
	}
	if err := git("add", "-A"); err != nil {
		return err
	}
	if err := git("commit", "-q", "-m", "a"); err != nil {
		return err
	}
	if err := git("checkout", "-q", "-b", "b"); err != nil {
		return err
	}
	if err := write(2); err != nil {
		return err
	}
	if err := git("add", "-A"); err != nil {
		return err
	}
	if err := git("commit", "-q", "-m", "b"); err != nil {
		return err
	}
	// Run 0 checks out b, so start on a.
	return git("checkout", "-q", "a")
}

// goroot is the GOROOT of the go command on PATH (runtime.GOROOT is where
// this binary was built, which need not be the same machine).
var goroot = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})
