package rules

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
)

// disk stands in for the watcher: Written lists the files under dir
// changed since a time whose bytes differ from the last it saw, and
// Builds says .go files are the build's.
type disk struct {
	dir  string
	mu   sync.Mutex
	seen map[string]string
}

func newDisk(t *testing.T, files map[string]string) *disk {
	d := &disk{dir: testkit.WriteModule(t, files), seen: map[string]string{}}
	d.written(time.Time{}) // what is there now is the baseline
	return d
}

func (d *disk) written(since time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(d.dir, p)
		rel = filepath.ToSlash(rel)
		data, _ := os.ReadFile(p)
		info, _ := e.Info()
		if old, ok := d.seen[rel]; (!ok || old != string(data)) && !info.ModTime().Before(since.Add(-10*time.Millisecond)) {
			out = append(out, rel)
		}
		d.seen[rel] = string(data)
		return nil
	})
	return out
}

// save writes a file as the user does: the batch that names it is
// taken, so what the watcher knows is its new content.
func (d *disk) save(t *testing.T, rel, data string) {
	t.Helper()
	testkit.WriteFile(t, filepath.Join(d.dir, rel), data)
	d.mu.Lock()
	d.seen[rel] = data
	d.mu.Unlock()
}

func (d *disk) read(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// rule is a rule over globs matched by base name or path, with a shell
// command.
func rule(name, glob, script string, then Action) Rule {
	r := Rule{Name: name, Then: then, Match: func(rel string) bool {
		ok, _ := path.Match(glob, path.Base(rel))
		return ok
	}}
	if script != "" {
		r.Argv = []string{"sh", "-c", script}
	}
	return r
}

func engine(d *disk, rules ...Rule) *Engine {
	return New(Options{Dir: d.dir, Env: os.Environ(), Rules: rules, Written: d.written,
		Builds: func(rel string) bool { return strings.HasSuffix(rel, ".go") }})
}

// TestApplyInOrder: the rules of a batch run once each in the order of
// the file, each with the paths it matched in $GOLIVE_CHANGED, and a
// later rule sees what an earlier one wrote; what the build reads goes
// to the runner.
func TestApplyInOrder(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"a.templ": "a", "b.templ": "b", "q.sql": "q", "main.go": "package main\n"})
	e := engine(d,
		rule("templ", "*.templ", `echo "$GOLIVE_CHANGED" > templ.args; echo templ >> order; echo "package main // $(cat a.templ)" > a_templ.go`, Rebuild),
		rule("sql", "*.sql", `echo sql >> order; echo gen > q.txt`, None),
		rule("vet", "*.go", `echo "$GOLIVE_CHANGED" > vet.args; echo vet >> order`, Rebuild),
	)
	d.save(t, "a.templ", "a2")
	d.save(t, "b.templ", "b2")
	d.save(t, "q.sql", "q2")
	res := e.Apply(context.Background(), []string{"a.templ", "b.templ", "main.go", "q.sql"})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := d.read(t, "order"); got != "templ\nsql\nvet\n" {
		t.Errorf("order of the commands: %q", got)
	}
	if got := d.read(t, "templ.args"); got != "a.templ\nb.templ\n" {
		t.Errorf("templ's $GOLIVE_CHANGED: %q", got)
	}
	if got := d.read(t, "vet.args"); got != "main.go\na_templ.go\n" {
		t.Errorf("vet's $GOLIVE_CHANGED: %q, want main.go and what templ wrote", got)
	}
	if want := []string{"a_templ.go", "main.go"}; !slices.Equal(res.Paths, want) || res.Then != Rebuild || !res.Ran {
		t.Errorf("Apply = %+v, want paths %v and a rebuild", res, want)
	}
	// The generated file's own batch is the rule's doing: nothing.
	if res := e.Apply(context.Background(), []string{"a_templ.go"}); len(res.Paths) != 0 || res.Ran {
		t.Errorf("the batch of what templ wrote: %+v, want nothing", res)
	}
}

// TestApplyThen: what a batch needs follows its rules' then: a command
// that wrote nothing the build reads reloads the browser only, restart
// and none are as written, and a path no rule takes rebuilds.
func TestApplyThen(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"a.templ": "a", "c.yaml": "c", "n.md": "n", "x.txt": "x"})
	e := engine(d,
		rule("templ", "*.templ", `echo text > a_templ.txt`, Rebuild),
		rule("conf", "*.yaml", ``, Restart),
		rule("docs", "*.md", `true`, None),
	)
	for _, tc := range []struct {
		paths     []string
		then      Action
		toRunner  []string
		ranAnyway bool
	}{
		{[]string{"a.templ"}, Reload, nil, true},
		{[]string{"c.yaml"}, Restart, []string{"c.yaml"}, false},
		{[]string{"n.md"}, None, nil, true},
		{[]string{"x.txt"}, Rebuild, []string{"x.txt"}, false},
		{[]string{"c.yaml", "n.md"}, Restart, []string{"c.yaml"}, true},
	} {
		for _, p := range tc.paths {
			d.save(t, p, time.Now().String())
		}
		res := e.Apply(context.Background(), tc.paths)
		if res.Err != nil || res.Then != tc.then || !slices.Equal(res.Paths, tc.toRunner) || res.Ran != tc.ranAnyway {
			t.Errorf("Apply(%v) = %+v, want then %v, paths %v, ran %v", tc.paths, res, tc.then, tc.toRunner, tc.ranAnyway)
		}
	}
}

// TestApplyFails: a failing command is the batch's error, with its
// output; the rules after it do not run.
func TestApplyFails(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"a.templ": "a"})
	e := engine(d,
		rule("templ", "*.templ", `echo "a.templ:1:2: bad token" >&2; exit 3`, Rebuild),
		rule("after", "*.templ", `touch ran`, None),
	)
	res := e.Apply(context.Background(), []string{"a.templ"})
	var f *Failed
	if !errors.As(res.Err, &f) || f.Name != "templ" || !strings.Contains(f.Output, "bad token") || !strings.Contains(f.Error(), "exit status 3") {
		t.Fatalf("Apply = %+v, want templ's failure with its output", res)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "ran")); err == nil {
		t.Error("the rule after the failed one ran")
	}
	// A timeout fails it too.
	slow := engine(d, Rule{Name: "slow", Match: func(string) bool { return true }, Argv: []string{"sleep", "10"}, Timeout: 50 * time.Millisecond})
	res = slow.Apply(context.Background(), []string{"a.templ"})
	if !errors.As(res.Err, &f) || !strings.Contains(f.Error(), "timed out after 50ms") {
		t.Fatalf("a command past its timeout: %v", res.Err)
	}
}

// TestApplyNoLoops: a generator that writes a new output on every run
// runs once a batch, and its output's batch starts nothing; an output
// rewritten with the same bytes is no change; two rules that feed each
// other stop after MaxRounds with one error naming them.
func TestApplyNoLoops(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"a.in": "a"})
	e := engine(d, rule("gen", "*.in", `date +%s%N > gen.go; echo run >> runs`, Rebuild))
	for range 3 {
		d.save(t, "a.in", time.Now().String())
		res := e.Apply(context.Background(), []string{"a.in"})
		if res.Err != nil || !slices.Equal(res.Paths, []string{"gen.go"}) {
			t.Fatalf("Apply = %+v, want gen.go to the build", res)
		}
		if res := e.Apply(context.Background(), []string{"gen.go"}); res.Ran || len(res.Paths) != 0 {
			t.Fatalf("gen.go's own batch: %+v, want nothing", res)
		}
	}
	if got := d.read(t, "runs"); got != "run\nrun\nrun\n" {
		t.Errorf("runs: %q, want one a batch", got)
	}

	d2 := newDisk(t, map[string]string{"x.a": "0", "x.b": "0"})
	feed := engine(d2,
		rule("a-to-b", "*.a", `date +%s%N > x.b`, None),
		rule("b-to-a", "*.b", `date +%s%N > x.a`, None),
	)
	d2.save(t, "x.a", "1")
	res := feed.Apply(context.Background(), []string{"x.a"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "a-to-b and b-to-a") || !strings.Contains(res.Err.Error(), "stopped after 5 rounds") {
		t.Fatalf("two rules that feed each other: %v", res.Err)
	}

	// The same two, when the bytes settle, stop by themselves.
	d3 := newDisk(t, map[string]string{"x.a": "0", "x.b": "0"})
	settle := engine(d3,
		rule("a-to-b", "*.a", `echo same > x.b`, None),
		rule("b-to-a", "*.b", `echo same > x.a`, None),
	)
	d3.save(t, "x.a", "1")
	if res := settle.Apply(context.Background(), []string{"x.a"}); res.Err != nil {
		t.Fatalf("rules whose outputs settle: %v", res.Err)
	}
}

// TestApplyOwnMatch: a rule whose output its own glob matches (a CSS
// build that writes web/out.css under match = ["web/*.css"]) runs once
// a save: what it wrote is claimed, and its batches start nothing. A file
// of the batch it ran for that changed again while it ran is a save of
// yours, which the next batch runs it for.
func TestApplyOwnMatch(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"web/in.css": "a", "web/out.css": ""})
	e := engine(d, rule("css", "*.css", `date +%s%N > web/out.css; echo run >> runs`, Rebuild))
	for i := range 3 {
		d.save(t, "web/in.css", time.Now().String())
		if res := e.Apply(context.Background(), []string{"web/in.css"}); res.Err != nil || !res.Ran || len(res.Paths) != 0 || res.Then != Reload {
			t.Fatalf("save %d: Apply = %+v, want one run and a reload", i, res)
		}
		// Twice: a loaded watcher can split one write into two batches.
		for range 2 {
			if res := e.Apply(context.Background(), []string{"web/out.css"}); res.Err != nil || res.Ran || len(res.Paths) != 0 {
				t.Fatalf("save %d: the batch of what the rule wrote: %+v, want nothing", i, res)
			}
		}
	}
	if got := d.read(t, "runs"); got != "run\nrun\nrun\n" {
		t.Errorf("runs: %q, want one a save", got)
	}

	// The input saved again while the command runs (the command stands
	// in for you here): the next batch runs the rule again.
	d2 := newDisk(t, map[string]string{"a.css": "a"})
	again := engine(d2, rule("css", "*.css", `[ -e saved ] || { touch saved; echo again > a.css; }; echo run >> runs`, None))
	d2.save(t, "a.css", "b")
	if res := again.Apply(context.Background(), []string{"a.css"}); res.Err != nil || !res.Ran {
		t.Fatalf("Apply = %+v, want a run", res)
	}
	if res := again.Apply(context.Background(), []string{"a.css"}); res.Err != nil || !res.Ran {
		t.Fatalf("the batch of the input saved during the command: %+v, want the rule to run again", res)
	}
}

// TestFailedRuleClaimsWhatItWrote: a command that writes a file, then
// fails, runs again only for your next save, not for what it wrote: in
// a batch, from RunAll, and from a command list.
func TestFailedRuleClaimsWhatItWrote(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"v.in": "bad", "stamp.in": ""})
	e := engine(d, rule("gen", "*.in", `date +%s%N > stamp.in; echo run >> runs; exit 1`, Rebuild))
	if res := e.Apply(context.Background(), []string{"v.in"}); res.Err == nil {
		t.Fatalf("Apply = %+v, want the command's failure", res)
	}
	if got := e.Unclaimed([]string{"stamp.in"}); len(got) != 0 {
		t.Errorf("after a failed batch, what it wrote is a change of yours: %v", got)
	}
	if err := e.RunAll(context.Background()); err == nil {
		t.Fatal("RunAll: want the command's failure")
	}
	if got := e.Unclaimed([]string{"stamp.in"}); len(got) != 0 {
		t.Errorf("after a failed RunAll, what it wrote is a change of yours: %v", got)
	}
	if _, err := e.Commands(context.Background(), "build.before", []string{"date +%s%N > stamp.in; exit 1"}, nil, nil, func(line string) []string { return []string{"sh", "-c", line} }); err == nil {
		t.Fatal("Commands: want the command's failure")
	}
	if got := e.Unclaimed([]string{"stamp.in"}); len(got) != 0 {
		t.Errorf("after a failed command list, what it wrote is a change of yours: %v", got)
	}
}

// TestRunAll: every rule's command runs once, in order, with no paths;
// the first that fails stops the rest; what they wrote is claimed, so
// that, run again once the watcher is up, their outputs start nothing.
func TestRunAll(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"a.in": "a", "main.go": "package main\n"})
	e := engine(d,
		rule("gen", "*.in", `echo "[$GOLIVE_CHANGED]" >> order; date +%s%N | sed 's,^,package main // ,' > gen.go`, Rebuild),
		rule("none", "*.md", ``, None),
		rule("check", "*.in", `echo check >> order; [ ! -e bad ]`, None),
		rule("after", "*.in", `echo after >> order`, None),
	)
	if err := e.RunAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := d.read(t, "order"); got != "[]\ncheck\nafter\n" {
		t.Errorf("order: %q, want every command once, with no paths", got)
	}
	if res := e.Apply(context.Background(), []string{"gen.go"}); res.Ran || len(res.Paths) != 0 {
		t.Errorf("the batch of what RunAll wrote: %+v, want nothing", res)
	}
	d.save(t, "bad", "")
	var f *Failed
	if err := e.RunAll(context.Background()); !errors.As(err, &f) || f.Name != "check" {
		t.Fatalf("RunAll: %v, want check's failure", err)
	}
	if got := d.read(t, "order"); got != "[]\ncheck\nafter\n[]\ncheck\n" {
		t.Errorf("order: %q, want nothing after the failure", got)
	}
}

// TestCommands: a command list runs in order and stops at the first
// failure; what it writes is claimed.
func TestCommands(t *testing.T) {
	t.Parallel()
	d := newDisk(t, map[string]string{"main.go": "package main\n"})
	e := engine(d)
	sh := func(line string) []string { return []string{"sh", "-c", line} }
	wrote, err := e.Commands(context.Background(), "build.before", []string{"echo one >> order; echo 'package main' > gen.go", "echo two >> order; false", "echo three >> order"}, nil, nil, sh)
	var f *Failed
	if !errors.As(err, &f) || f.Name != "build.before[1] (echo two >> order; false)" {
		t.Fatalf("Commands: %v, want the second one's failure", err)
	}
	if got := d.read(t, "order"); got != "one\ntwo\n" {
		t.Errorf("order: %q", got)
	}
	if !slices.Contains(wrote, "gen.go") {
		t.Errorf("wrote %v, want gen.go", wrote)
	}
	if res := e.Apply(context.Background(), []string{"gen.go"}); len(res.Paths) != 0 {
		t.Errorf("gen.go's own batch: %+v, want nothing", res)
	}

	// A command past its list's timeout fails as a non-zero exit does,
	// and the next one does not run.
	slow := New(Options{Dir: d.dir, Env: os.Environ(), Timeouts: map[string]time.Duration{"build.before": 100 * time.Millisecond}})
	start := time.Now()
	_, err = slow.Commands(context.Background(), "build.before", []string{"echo slow; sleep 10", "echo next > next"}, nil, nil, sh)
	if !errors.As(err, &f) || f.Name != "build.before[0] (echo slow; sleep 10)" || !strings.Contains(f.Error(), "timed out after 100ms") || f.Output != "slow\n" {
		t.Fatalf("a command past its timeout: %v, want its failure with its output", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the timeout took %s to stop the command", took)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "next")); err == nil {
		t.Error("the command after the one that timed out ran")
	}
}
