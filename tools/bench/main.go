//go:build linux

// Command bench measures golive's save-to-serving loop against the
// physical floor (go build of the same edit with a warm cache, plus
// starting the binary, plus its first answer), and against peers, on a
// generated module. See docs/benchmarks.md.
//
//	go -C tools run ./bench            # full run, several minutes
//	go -C tools run ./bench -quick     # proves it works, in a few minutes
//	go -C tools run ./bench -peer reflex='reflex -s -r "\.go$" -- go run .'
//	go -C tools run ./bench -baseline /tmp/golive-old   # a second golive beside the tree's
//	go -C tools run ./bench -only shapes   # only the scenarios named
//	go -C tools run ./bench -quick -only templ   # a smoke run of one
//
// The report (Markdown) goes to stdout, progress to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	rounds       int
	quick        bool
	peers        peerList
	noAutoPeers  bool
	idle         time.Duration
	keep         bool
	keepGOFLAGS  bool
	noGit        bool
	startupRuns  int
	editRuns     int
	shapeRounds  int
	reloads      int
	roundTimeout time.Duration
	baseline     string          // a golive binary measured beside the one built from the tree
	goliveArgs   goliveArgList   // flags given to every golive the benchmark runs (e.g. --poll)
	only         map[string]bool // the scenarios to run (-only); empty: all of them
}

// scenarios are the names -only takes, in the order a run takes them.
var scenarios = []string{"latency", "edit", "storm", "plugin", "browser", "debug", "shapes", "templ", "services", "idle"}

// parseOnly reads -only's comma-separated list of scenarios.
func parseOnly(v string) (map[string]bool, error) {
	only := map[string]bool{}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scenarios, name) {
			return nil, fmt.Errorf("unknown scenario %q (want some of %s)", name, strings.Join(scenarios, ","))
		}
		only[name] = true
	}
	return only, nil
}

// goliveArgList is a repeatable flag's values.
type goliveArgList []string

func (a *goliveArgList) String() string     { return strings.Join(*a, " ") }
func (a *goliveArgList) Set(v string) error { *a = append(*a, v); return nil }

type peerList []string

func (p *peerList) String() string { return strings.Join(*p, "; ") }
func (p *peerList) Set(v string) error {
	if !strings.Contains(v, "=") || strings.HasPrefix(v, "=") {
		return errors.New("want NAME=COMMAND")
	}
	*p = append(*p, v)
	return nil
}

// bench is one run's state.
type bench struct {
	opts        options
	ctx         context.Context
	work        string // temp directory: fixtures, binaries, logs
	repo        string
	golives     []goliveBin // golive built from the tree, then the -baseline binary
	keepGOFLAGS bool
	progress    io.Writer
	shape       shape
	bigShape    shape
	workShape   shape
	shapeSize   shapeSize // each project of the shapes scenario
	templShape  shape     // the templ scenario's project: its internal packages
	svcShape    shape     // the services scenario's project: each main's internal packages
	svcRounds   int       // the services scenario's rounds: -n, one in a -quick run without -n
	templAir    bool      // the templ scenario runs air when installed (not with an explicit -no-auto-peers)
	floors      []*floor
	tools       []*watcherTool // the golives first (as golives), then peers
	res         results
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "n", 10, "latency rounds per tool")
	fs.BoolVar(&o.quick, "quick", false, "2 rounds, small tree, no peers (air still runs in templ), 1s idle, 3 reloads, 1 small shapes round: proves the benchmark works")
	fs.Var(&o.peers, "peer", "peer `NAME=COMMAND`, run with sh -c in the fixture; it must build and run the server (PORT in its environment); repeatable")
	fs.BoolVar(&o.noAutoPeers, "no-auto-peers", false, "do not run air and wgo even when they are installed")
	fs.DurationVar(&o.idle, "idle", 10*time.Second, "idle window for golive's CPU and memory")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (fixtures, logs, events)")
	fs.BoolVar(&o.keepGOFLAGS, "keep-goflags", false, "pass GOFLAGS from the environment to every build (default: removed, so flags are the tools' own)")
	fs.BoolVar(&o.noGit, "no-git", false, "do not make the fixtures git repositories")
	fs.IntVar(&o.startupRuns, "startup-runs", 3, "start-up rounds on the large tree")
	fs.IntVar(&o.editRuns, "edit-runs", 3, "edit-during-build rounds")
	fs.IntVar(&o.shapeRounds, "shape-rounds", 3, "rounds of the shapes scenario (each starts a golive session per shape)")
	fs.IntVar(&o.reloads, "reloads", 20, "in-process reloads in a row for the plugin scenario's memory per reload")
	fs.DurationVar(&o.roundTimeout, "timeout", 60*time.Second, "longest wait for one answer")
	fs.Var(&o.goliveArgs, "golive-arg", "a flag given to every golive the benchmark runs, e.g. --poll; repeatable; the report names them")
	fs.Func("only", "run only the scenarios `NAME[,NAME]`: "+strings.Join(scenarios, ", "), func(v string) (err error) {
		o.only, err = parseOnly(v)
		return err
	})
	fs.StringVar(&o.baseline, "baseline", "", "also measure the golive binary at `PATH` (built elsewhere, e.g. from an earlier commit) beside the one built from the tree, in the same run: latency, storm, start-up, idle CPU and memory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	b := &bench{opts: o, ctx: ctx, keepGOFLAGS: o.keepGOFLAGS, progress: stderr}
	b.shape = shape{Packages: 20, Files: 25, Other: 1500}
	b.bigShape = shape{Packages: 20, Files: 25, BigDirs: 5000, BigFiles: 20000}
	// 3 modules of 100 packages each, main importing 34 of each's.
	b.workShape = shape{Packages: 100, Files: 1, Imported: 34, Work: 2}
	b.shapeSize = shapeSize{Packages: 8, Files: 5, Libs: 6}
	b.templShape = shape{Packages: 8, Files: 5}
	b.svcShape = shape{Packages: 8, Files: 5}
	// -quick turns the peers off, but not in the templ scenario, whose
	// point is air beside golive: only the flag given does.
	b.templAir = !set["no-auto-peers"] || !o.noAutoPeers
	if o.quick {
		if !set["n"] {
			b.opts.rounds = 2
		}
		if !set["idle"] {
			b.opts.idle = time.Second
		}
		if !set["startup-runs"] {
			b.opts.startupRuns = 1
		}
		if !set["edit-runs"] {
			b.opts.editRuns = 1
		}
		if !set["shape-rounds"] {
			b.opts.shapeRounds = 1
		}
		if !set["reloads"] {
			b.opts.reloads = 3
		}
		if !set["no-auto-peers"] {
			b.opts.noAutoPeers = true
		}
		if !set["peer"] {
			b.opts.peers = nil
		}
		// A smaller module and tree: the quick mode proves the scenarios
		// run, it measures nothing worth quoting.
		b.shape = shape{Packages: 10, Files: 10, Other: 300}
		b.bigShape = shape{Packages: 10, Files: 10, BigDirs: 500, BigFiles: 2000}
		b.workShape = shape{Packages: 10, Files: 1, Imported: 4, Work: 2}
		b.shapeSize = shapeSize{Packages: 3, Files: 2, Libs: 2}
		b.templShape = shape{Packages: 3, Files: 2}
		b.svcShape = shape{Packages: 3, Files: 2}
	}
	b.svcRounds = b.opts.rounds
	if o.quick && !set["n"] {
		b.svcRounds = 1
	}
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintf(stderr, "bench: cannot become a child subreaper (%v); a tool's orphans may escape cleanup\n", err)
	}
	defer cleanup()
	err := b.main(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		if b.work != "" {
			fmt.Fprintf(stderr, "bench: logs kept in %s\n", b.work)
		}
		return 1
	}
	if b.opts.keep {
		fmt.Fprintf(stderr, "bench: work directory kept: %s\n", b.work)
	}
	return 0
}

// runs reports whether the run takes scenario name (-only).
func (b *bench) runs(name string) bool {
	return len(b.opts.only) == 0 || b.opts.only[name]
}

// scenario runs the scenario name when the run takes it.
func (b *bench) scenario(name string, run func() error) error {
	if !b.runs(name) {
		return nil
	}
	return run()
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: %5.1fs "+format+"\n", append([]any{time.Since(b.res.facts.start).Seconds()}, args...)...)
}

func (b *bench) main(stdout io.Writer) (err error) {
	b.res.facts = machineFacts(b)
	b.work, err = os.MkdirTemp("", "golive-bench-")
	if err != nil {
		return err
	}
	defer func() {
		cleanup()
		if err == nil && !b.opts.keep {
			os.RemoveAll(b.work)
		}
	}()
	if b.repo, err = repoRoot(); err != nil {
		return err
	}
	if b.opts.baseline != "" { // checked before the build, to fail early
		base, err := baselineBin(b.opts.baseline)
		if err != nil {
			return err
		}
		b.golives = append(b.golives, base)
	}
	b.logf("building golive from %s", b.repo)
	tree := goliveBin{path: filepath.Join(b.work, "golive"), name: "golive", setting: "default"}
	cmd := exec.CommandContext(b.ctx, "go", "build", "-o", tree.path, "./cmd/golive")
	cmd.Dir = b.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build golive: %v\n%s", err, out)
	}
	b.res.facts.goliveRev = gitRev(b.repo)
	b.golives = append([]goliveBin{tree}, b.golives...) // the tree's first
	// Latency, edit during build and storm share the watchers started here.
	if b.runs("latency") || b.runs("edit") || b.runs("storm") {
		if err := b.setUpTools(); err != nil {
			return err
		}
	}
	if err := b.scenario("latency", b.latency); err != nil {
		return err
	}
	if err := b.scenario("edit", b.editDuringBuild); err != nil {
		return err
	}
	if b.runs("latency") {
		for _, t := range b.goliveTools() {
			rss, _, _ := memStatus(t.p.pid())
			b.res.fixtureRSS = append(b.res.fixtureRSS, rss)
		}
	}
	// Each storm ends with its tool's shutdown: a tool that a storm left
	// building must not load the machine under the next one. Without
	// storms, the watchers stop here.
	if err := b.scenario("storm", b.storms); err != nil {
		return err
	}
	if !b.runs("storm") {
		for _, t := range b.tools {
			if err := t.shutdown(); err != nil {
				b.res.notes = append(b.res.notes, err.Error())
			}
		}
	}
	for _, s := range []struct {
		name string
		run  func() error
	}{
		{"plugin", b.pluginScenario},
		{"browser", b.browserScenario},
		{"debug", b.debugScenario},
		{"shapes", b.shapesScenario},
		{"templ", b.templScenario},
		{"services", b.servicesScenario},
		{"idle", b.idleStartup},
	} {
		if err := b.scenario(s.name, s.run); err != nil {
			return err
		}
	}
	b.res.facts.loadEnd = loadAvg()
	b.res.facts.end = time.Now()
	report(stdout, b)
	return nil
}

// floor measures the physical floor on its own copy of the fixture:
// go build of the same edit, start the binary, first answer.
type floor struct {
	name  string
	flags []string // go build flags before the package
	fx    *fixture
	port  int
	c     *client
	bin   string
	// polled keeps the previous round's program serving, polled every
	// 2 ms from the save on, and stops it once the new binary is built:
	// golive's sequence by hand, under the same load the benchmark puts
	// on every watcher, with no tool in between.
	polled  bool
	running *proc
}

// goliveFlags returns the go build flags golive uses with its defaults,
// from golive's own code, so the floor cannot drift from it.
func goliveFlags() []string {
	cfg := config.Default()
	cfg.Build.Package = "."
	args := builder.Args(session.BuildOptions(cfg, ".", nil), "OUT")
	// build -o OUT [flags] .
	return args[3 : len(args)-1]
}

func (b *bench) newFixture(name string, s shape) (*fixture, error) {
	return newFixture(filepath.Join(b.work, name), s, !b.opts.noGit)
}

func (b *bench) setUpTools() error {
	b.logf("generating fixtures (%d packages × %d files, %d other files each)", b.shape.Packages, b.shape.Files, b.shape.Other)
	for _, f := range []struct {
		name   string
		flags  []string
		polled bool
	}{
		{"floor", goliveFlags(), false},
		{"plain floor", nil, false},
		{"polled floor", goliveFlags(), true},
	} {
		fx, err := b.newFixture("fx-"+sanitize(f.name), b.shape)
		if err != nil {
			return err
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		fl := &floor{name: f.name, flags: f.flags, fx: fx, port: port, c: newClient(port), bin: filepath.Join(b.work, "bin-"+sanitize(f.name)), polled: f.polled}
		// Warm the cache: every package compiled once in this directory.
		b.logf("warming %s: go build %s", f.name, strings.Join(f.flags, " "))
		if _, err := b.goBuild(fl.fx.dir, fl.flags, fl.bin); err != nil {
			return err
		}
		b.floors = append(b.floors, fl)
	}

	for _, g := range b.golives {
		t, err := b.newWatcher("golive", g.setting, []string{g.path})
		if err != nil {
			return err
		}
		t.events = &eventLog{path: filepath.Join(b.work, "events-golive"+g.tag+".jsonl")}
		t.argv = append(append(t.argv, "-C", t.fx.dir, "--events", t.events.path), b.opts.goliveArgs...)
		b.tools = append(b.tools, t)
	}

	for _, spec := range b.peerSpecs() {
		t, err := b.newWatcher(spec.name, spec.setting, []string{"sh", "-c", spec.command})
		if err != nil {
			return err
		}
		b.tools = append(b.tools, t)
	}
	for _, t := range b.tools {
		b.logf("starting %s: %s", t.label(), strings.Join(t.argv, " "))
		if _, _, err := t.launch(b.ctx, b, 5*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) newWatcher(name, setting string, argv []string) (*watcherTool, error) {
	label := name
	if setting != "" {
		label += "-" + setting
	}
	fx, err := b.newFixture("fx-"+sanitize(label), b.shape)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &watcherTool{
		name: name, setting: setting, fx: fx, port: port, c: newClient(port), argv: argv,
		starts: filepath.Join(b.work, "starts-"+sanitize(label)+".log"),
	}, nil
}

type peerSpec struct{ name, setting, command string }

// peerSpecs lists the -peer flags, then air and wgo when installed, each
// at its default and at its fastest sane setting.
func (b *bench) peerSpecs() []peerSpec {
	var out []peerSpec
	for _, p := range b.opts.peers {
		name, cmd, _ := strings.Cut(p, "=")
		out = append(out, peerSpec{name: name, command: cmd})
	}
	if b.opts.noAutoPeers {
		return out
	}
	if air := lookTool("air"); air != "" {
		q := shellQuote(air)
		out = append(out,
			peerSpec{"air", "default", q},
			peerSpec{"air", "build.delay=0", q + " --build.delay=0"})
		b.res.facts.peers = append(b.res.facts.peers, toolVersion(air, "-v"))
	} else {
		b.res.notes = append(b.res.notes, "air is not installed (go install github.com/air-verse/air@v1.67.4): no air rows")
	}
	if wgo := lookTool("wgo"); wgo != "" {
		q := shellQuote(wgo)
		out = append(out,
			peerSpec{"wgo", "default", q + " run ."},
			peerSpec{"wgo", "debounce 10ms", q + " run -debounce 10ms ."})
		b.res.facts.peers = append(b.res.facts.peers, "wgo at "+wgo)
	} else {
		b.res.notes = append(b.res.notes, "wgo is not installed (go install github.com/bokwoon95/wgo@latest): no wgo rows")
	}
	return out
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// goBuild runs go build -o out [flags] . in dir and returns its duration.
func (b *bench) goBuild(dir string, flags []string, out string) (time.Duration, error) {
	os.Remove(out)
	return b.goBuildPackages(dir, flags, out, ".")
}

// goBuildPackages runs go build -o out [flags] pkgs... in dir and returns
// its duration; out ends in a slash for several main packages.
func (b *bench) goBuildPackages(dir string, flags []string, out string, pkgs ...string) (time.Duration, error) {
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = childEnv(b.keepGOFLAGS)
	start := time.Now()
	out, err := b.runProc(cmd)
	d := time.Since(start)
	if err != nil {
		if b.ctx.Err() != nil {
			return 0, b.ctx.Err()
		}
		return 0, fmt.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return d, nil
}

// runProc runs cmd in a process group of its own, as every process of the
// benchmark runs, and returns what it printed. An interrupt of the
// benchmark kills it.
func (b *bench) runProc(cmd *exec.Cmd) (string, error) {
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	p, err := startProc(cmd)
	if err != nil {
		return "", err
	}
	select {
	case <-p.done:
	case <-b.ctx.Done():
		p.stop(syscall.SIGKILL, 0)
		return buf.String(), b.ctx.Err()
	}
	return buf.String(), p.err
}

// startBinary starts a built server on port.
func (b *bench) startBinary(bin, dir string, port int) (*proc, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = childEnv(b.keepGOFLAGS, fmt.Sprintf("PORT=%d", port))
	return startProc(cmd)
}

// repoRoot finds golive's module root above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/golive-dev/golive\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark inside golive's repository (go -C tools run ./bench)")
		}
		dir = parent
	}
}
