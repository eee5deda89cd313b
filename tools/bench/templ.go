//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The templ scenario (issue 11, requirement 4): the save of a .templ file
// → the new page painted, golive's templ recipe against air set up for
// templ in each of the ways templAirForms lists, on copies of the same
// small web project. Each tool serves through its own proxy to its own
// Chromium tab; a round saves the page component with a new heading and
// times the program answering it (polled directly) and the tab painting it
// (read as the browser scenario reads it), then counts the builds and
// restarts the save caused.

// templModule is the templ release the project requires, with its go.sum
// lines (the module cache has it: go build stays offline).
const (
	templModule = "github.com/a-h/templ v0.3.1118"
	templGoSum  = "github.com/a-h/templ v0.3.1118 h1:rZv90g1xVb7ieNz4j5WK6yQePZfsg7j7fVvP8qVmeJI=\n" +
		"github.com/a-h/templ v0.3.1118/go.mod h1:ttKggixbDULrwkJzfEO5fa4IPGTKiRt3qP09zjPuCS4=\n"
	templInstall = "go install github.com/a-h/templ/cmd/templ@v0.3.1118"
	airInstall   = "go install github.com/air-verse/air@v1.67.4"
)

// templGoliveConfig is golive's config: docs/recipes.md's templ rule, and the
// proxy (the program on port, the tab on proxyPort).
func templGoliveConfig(port, proxyPort int) string {
	return fmt.Sprintf(`[[rule]]
match = ["**/*.templ"]
run = 'if [ -z "$GOLIVE_CHANGED" ]; then exec templ generate; fi; for f in $GOLIVE_CHANGED; do [ -e "$f" ] || continue; templ generate -f "$f" || exit 1; done'
shell = true

[proxy]
target = "http://127.0.0.1:%d"
listen = "127.0.0.1:%d"
`, port, proxyPort)
}

// templAirForm is one way of setting air up for templ: a row of its own.
type templAirForm struct {
	id     string // file-safe: the copy's directory and its logs
	row    string // the report's row
	config func(port, proxyPort int) string
	about  string // what the report says it is
	full   bool   // run in a full run only: -quick leaves it out
}

// templAirForms are air's set-ups, in the order of the report's rows: the
// shorter form the scenario ran first, then the two that docs/recipes.md
// quotes as they are (TestTemplAirConfigsAsQuoted holds them to it). The
// last two run in a full run only: their delays (1000 ms, and two of them
// in a row for the README's form) would double -quick's templ scenario.
var templAirForms = []templAirForm{
	{id: "air", row: "air, templ's .air.toml shortened", config: templAirConfig,
		about: "a shorter form of templ's documented .air.toml (`templ generate && go build -o ./tmp/main .`, `include_ext = [\"go\", \"templ\"]`, `exclude_regex = [\".*_templ.go\"]`, `delay = 100` where templ's documentation gives 1000, air's defaults for every other key) and its proxy"},
	{id: "air-templdocs", row: "air, templ's .air.toml", config: templAirDocsConfig, full: true,
		about: "templ's documented .air.toml as docs/recipes.md quotes it (`templ generate && go build -o ./tmp/main .`, `delay = 1000`, `include_ext = [\"go\", \"tpl\", \"tmpl\", \"templ\", \"html\"]`, `exclude_regex = [\".*_templ.go\"]`, `stop_on_error = true` and the rest), its proxy's two ports made free ones and nothing else changed"},
	{id: "air-rules", row: "air, README's [[build.rules]]", config: templAirRulesConfig, full: true,
		about: "air's README's (v1.66+) templ form as docs/recipes.md quotes it (`go build -o ./tmp/main .`, and a `[[build.rules]]` block running `templ generate` on `.templ` files, whose `_templ.go` output starts the build; air's defaults for the rest, `delay = 1000` for the rule and for the build), with a `[proxy]` block on free ports added, which the README's form has not"},
}

// templAirConfig is air's config: a shorter form of the .air.toml templ's
// documentation gives (its live-reload page, which docs/recipes.md shows
// whole), with the scenario's ports. Its cmd, bin, exclude_regex and proxy
// are templ's; include_ext keeps go and templ of templ's go, tpl, tmpl,
// templ and html (the project has no other kind); delay is 100 where
// templ's is 1000 (air sleeps it after a change, before it builds: each
// build here starts 900 ms sooner than with templ's); every other key is
// air's default.
func templAirConfig(port, proxyPort int) string {
	return fmt.Sprintf(`[build]
cmd = "templ generate && go build -o ./tmp/main ."
bin = "tmp/main"
include_ext = ["go", "templ"]
exclude_regex = [".*_templ.go"]
delay = 100

[proxy]
enabled = true
proxy_port = %d
app_port = %d
`, proxyPort, port)
}

// templAirDocsConfig is the .air.toml templ's documentation gives (its
// live-reload page), as docs/recipes.md quotes it, with the scenario's
// ports for its 8383 (the proxy) and 8282 (the program). Its paths are the
// fixture's as they are: the program is the module's root package.
func templAirDocsConfig(port, proxyPort int) string {
	return fmt.Sprintf(`root = "."
tmp_dir = "tmp"

[build]
  bin = "./tmp/main"
  cmd = "templ generate && go build -o ./tmp/main ."
  delay = 1000
  exclude_dir = ["assets", "tmp", "vendor"]
  exclude_file = []
  exclude_regex = [".*_templ.go"]
  exclude_unchanged = false
  follow_symlink = false
  full_bin = ""
  include_dir = []
  include_ext = ["go", "tpl", "tmpl", "templ", "html"]
  kill_delay = "0s"
  log = "build-errors.log"
  send_interrupt = false
  stop_on_error = true

[color]
  app = ""
  build = "yellow"
  main = "magenta"
  runner = "green"
  watcher = "cyan"

[log]
  time = false

[misc]
  clean_on_exit = false

[proxy]
  enabled = true
  proxy_port = %d
  app_port = %d
`, proxyPort, port)
}

// templAirRulesConfig is the templ form of air's README (v1.66 and later),
// as docs/recipes.md quotes it, and a [proxy] block the README's has not,
// on the scenario's ports: without it there is no page to reload.
func templAirRulesConfig(port, proxyPort int) string {
	return fmt.Sprintf(`[build]
cmd = "go build -o ./tmp/main ."

[[build.rules]]
name = "templ"
include_ext = ["templ"]
cmd = "templ generate"

[proxy]
enabled = true
proxy_port = %d
app_port = %d
`, proxyPort, port)
}

// templPage is views/page.templ with heading v: the text each save
// rewrites, which the page's script takes as its version before it
// records its paint as the browser scenario's page does.
func templPage(v string) string {
	return `package views

// Page is the page the benchmark's tabs show.
templ Page(items []string) {
	<!DOCTYPE html>
	<html>
		<head>
			<meta charset="utf-8"/>
			<title>templ benchmark</title>
		</head>
		<body>
			<h1 id="v">` + v + `</h1>
			@list(items)
			<script>window.version = document.getElementById("v").textContent; requestAnimationFrame(() => requestAnimationFrame(() => { window.painted = performance.timeOrigin + performance.now(); }));</script>
		</body>
	</html>
}
`
}

// templHeading is how the served page shows heading v.
func templHeading(v string) string { return `<h1 id="v">` + v + `</h1>` }

const templList = `package views

templ list(items []string) {
	<ul>
		for _, it := range items {
			<li>{ it }</li>
		}
	</ul>
}
`

// templMain is the program: / renders views.Page with a line per
// internal package.
func templMain(packages int) string {
	var b strings.Builder
	b.WriteString(`// Command benchapp is the web program of the benchmark's templ scenario.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"` + modulePath + `/views"
`)
	for p := range packages {
		fmt.Fprintf(&b, "\t%q\n", modulePath+"/internal/"+pkgName(p))
	}
	b.WriteString(")\n")
	b.WriteString(logStartSource)
	b.WriteString(`
// items is what the page lists: each package at work.
func items() []string {
	return []string{
`)
	for p := range packages {
		fmt.Fprintf(&b, "\t\tfmt.Sprintf(\"%[1]s: %%d (%%s)\", %[1]s.Sum(3), strings.Join(%[1]s.Tokens(), \" \")),\n", pkgName(p))
	}
	b.WriteString(`	}
}

func main() {
	logStart("start")
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		logStart("bindfail")
		fmt.Fprintln(os.Stderr, "benchapp:", err)
		os.Exit(1)
	}
	list := items()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		views.Page(list).Render(r.Context(), w)
	})
	fmt.Fprintln(os.Stderr, "benchapp: serving on", ln.Addr())
	http.Serve(ln, nil)
}
`)
	return b.String()
}

// newTemplProject writes the project into dir: main, views (page.templ,
// list.templ, and the Go templ generate makes of them, as a project keeps
// it) and s.Packages internal packages of s.Files files, the latency
// fixture's kind; tmp/, air's, is ignored by git.
func (b *bench) newTemplProject(dir string, s shape) (*fixture, error) {
	f := &fixture{dir: dir, shape: s}
	files := map[string]string{
		"go.mod":           fmt.Sprintf("module %s\n\ngo 1.26.0\n\nrequire %s\n", modulePath, templModule),
		"go.sum":           templGoSum,
		".gitignore":       "tmp/\n",
		"main.go":          templMain(s.Packages),
		"views/page.templ": templPage("v0"),
		"views/list.templ": templList,
	}
	for p := range s.Packages {
		for i := range s.Files {
			files[f.goFile(p, i)] = f.packageSource(p, i, "t0")
		}
	}
	for rel, data := range files {
		if err := f.write(rel, data); err != nil {
			return nil, err
		}
	}
	gen := exec.Command("templ", "generate")
	gen.Dir = dir
	gen.Env = childEnv(b.keepGOFLAGS)
	if out, err := b.runProc(gen); err != nil {
		return nil, fmt.Errorf("templ generate in %s: %v\n%s", dir, err, out)
	}
	if !b.opts.noGit {
		if err := gitCommit(dir); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// templResult is the scenario: golive's rounds, and air's when it ran.
type templResult struct {
	skipped string
	notes   []string
	air     string // air's version
	shape   shape
	rounds  int
	tools   []*templTool // golive, then air's forms
}

// templTool is a tool on its own copy, with its own tab through its own
// proxy.
type templTool struct {
	w         *watcherTool
	row       string        // the report's row
	air       *templAirForm // air's set-up; nil for golive
	proxyPort int
	tab       context.Context
	rounds    []templRound // the warm-up first
}

// templRound is one save.
type templRound struct {
	warm    bool
	ok      bool
	err     string
	saved   time.Time
	logOff  int64         // the tool's log size at the save: air's builds are its "building..." lines
	serving time.Duration // save → the program answers the new heading, polled directly
	painted time.Duration // save → the tab through the proxy painted it
	// golive: its rule's templ generate (the command event) and its build
	// (build_ok), from its events.
	generate, build time.Duration
	builds, starts  int // counted from the save to the tool's next save
}

// templScenario starts golive, and air in each of its forms when it runs,
// each on its copy, opens a tab on each proxy, then runs the rounds: a
// warm-up, then -n, the tools in a shuffled order in each.
func (b *bench) templScenario() error {
	res := &templResult{rounds: b.opts.rounds, shape: b.templShape}
	b.res.templ = res
	if _, err := exec.LookPath("templ"); err != nil {
		res.skipped = "no templ on PATH (" + templInstall + ")"
	}
	chrome, err := exec.LookPath("chromium")
	if err != nil && res.skipped == "" {
		res.skipped = "no chromium on PATH (apt-get install chromium)"
	}
	if res.skipped != "" {
		b.logf("templ: skipped: %s", res.skipped)
		return nil
	}
	air := ""
	if !b.templAir {
		res.notes = append(res.notes, "no air rows: -no-auto-peers")
	} else if air = lookTool("air"); air == "" {
		res.notes = append(res.notes, "no air rows: air is not installed ("+airInstall+")")
	} else {
		res.air = toolVersion(air, "-v")
	}

	golive, err := b.newTemplTool("golive", "golive", ".reload.toml", templGoliveConfig, func(w *watcherTool) {
		w.events = &eventLog{path: filepath.Join(b.work, "events-golive-templ.jsonl")}
		w.argv = append([]string{b.golives[0].path, "-C", w.fx.dir, "--events", w.events.path}, b.opts.goliveArgs...)
	})
	if err != nil {
		return fmt.Errorf("templ: %w", err)
	}
	golive.row = "golive"
	res.tools = append(res.tools, golive)
	for i := range templAirForms {
		form := &templAirForms[i]
		if air == "" {
			break
		}
		if form.full && b.opts.quick {
			res.notes = append(res.notes, "no row for "+form.row+" in a -quick run: full runs only")
			continue
		}
		a, err := b.newTemplTool("air", form.id, ".air.toml", form.config, func(w *watcherTool) { w.argv = []string{air} })
		if err != nil {
			return fmt.Errorf("templ: %w", err)
		}
		a.row, a.air = form.row, form
		res.tools = append(res.tools, a)
	}
	for _, tt := range res.tools {
		defer tt.w.shutdown()
		b.logf("templ: starting %s: %s", tt.row, strings.Join(tt.w.argv, " "))
		launched, _, err := tt.w.launch(b.ctx, b, 5*time.Minute)
		if err != nil {
			return fmt.Errorf("templ: %w", err)
		}
		if tt.w.isGolive() { // a save before golive watches may go unseen
			if _, err := tt.w.events.waitFor(b.ctx, "watching", launched, b.opts.roundTimeout); err != nil {
				return fmt.Errorf("templ: golive: %w", err)
			}
		}
	}
	closeTabs, err := b.openTemplTabs(chrome, res.tools)
	defer closeTabs()
	if err != nil {
		return fmt.Errorf("templ: %w", err)
	}

	rng := rand.New(rand.NewPCG(11, uint64(time.Now().UnixNano())))
	for r := -1; r < res.rounds; r++ {
		if r < 0 {
			b.logf("templ: warm-up round")
		} else {
			b.logf("templ: round %d/%d", r+1, res.rounds)
		}
		for _, i := range rng.Perm(len(res.tools)) {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			tt := res.tools[i]
			if n := len(tt.rounds); n > 0 && !tt.rounds[n-1].ok {
				round := "the warm-up"
				if r >= 0 {
					round = fmt.Sprintf("round %d", r+1)
				}
				note := fmt.Sprintf("the tab of %s opened on the page again before %s, after a failed round", tt.row, round)
				if err := b.reopenTemplTab(tt); err != nil {
					note = fmt.Sprintf("the tab of %s could not be opened on the page again before %s, after a failed round: %v", tt.row, round, err)
				}
				b.logf("  templ, %s", note)
				res.notes = append(res.notes, note)
			}
			x := b.templRound(tt, fmt.Sprintf("t%02d-%06d", r+1, time.Now().UnixNano()%1e6))
			x.warm = r < 0
			tt.rounds = append(tt.rounds, x)
			if !x.ok {
				b.logf("  templ, %s: %s", tt.row, x.err)
			}
		}
	}
	for _, tt := range res.tools {
		tt.count(time.Now())
	}
	return nil
}

// openTemplTabs starts one headless Chromium and opens a tab per tool on
// the page through the tool's proxy, once the page has painted. The
// first tab starts the browser; each other opens in a window of its own,
// where it is visible and gets animation frames. closeAll closes them
// and the browser, also after an error.
func (b *bench) openTemplTabs(chrome string, tools []*templTool) (closeAll func(), err error) {
	alloc, cancel := chromedp.NewExecAllocator(b.ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(b.work, "chromium-templ")),
	)...)
	cancels := []context.CancelFunc{cancel}
	closeAll = func() {
		for i := len(cancels) - 1; i >= 0; i-- {
			cancels[i]()
		}
	}
	parent := alloc
	for _, tt := range tools {
		tab, cancel := chromedp.NewContext(parent)
		cancels = append(cancels, cancel)
		if parent == alloc {
			parent = tab
		}
		tt.tab = tab
		if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("http://127.0.0.1:%d/", tt.proxyPort))); err != nil {
			return closeAll, fmt.Errorf("%s: open the page through its proxy: %w", tt.row, err)
		}
		visible, err := chromedp.Run(tab, chromedp.Evaluate[string]("document.visibilityState"))
		if err != nil {
			return closeAll, fmt.Errorf("%s: %w", tt.row, err)
		}
		if visible != "visible" {
			return closeAll, fmt.Errorf("%s's tab is %s: it would paint no frame", tt.row, visible)
		}
		if _, err := paintedAt(b.ctx, tab, "v0", b.opts.roundTimeout); err != nil {
			return closeAll, fmt.Errorf("%s: %w", tt.row, err)
		}
	}
	return closeAll, nil
}

// reopenTemplTab puts tt's tab back on the page after a failed round, so
// that one failure costs that round and not every one after it: air's
// proxy, for one, answers the reload it sends when the program it started
// is not up (it failed to bind the port its old one still held) with an
// error page that has no reload script, where the tab then stays. It waits
// for the program to answer, then opens the page through the proxy again
// and waits for the heading the program serves to paint.
func (b *bench) reopenTemplTab(tt *templTool) error {
	var heading string
	if _, err := tt.w.c.waitMatch(b.ctx, "/", "its page", 10*time.Second, func(body string) bool {
		_, rest, ok := strings.Cut(body, strings.TrimSuffix(templHeading(""), "</h1>"))
		heading, _, _ = strings.Cut(rest, "</h1>")
		return ok && heading != ""
	}); err != nil {
		return err
	}
	if err := chromedp.Do(tt.tab, chromedp.Navigate(fmt.Sprintf("http://127.0.0.1:%d/", tt.proxyPort))); err != nil {
		return fmt.Errorf("open the page through the proxy: %w", err)
	}
	_, err := paintedAt(b.ctx, tt.tab, heading, b.opts.roundTimeout)
	return err
}

// newTemplTool writes a copy of the project for the tool name, set up as
// id says (file-safe and unique in the scenario), with its config file
// (written by config from the program's port and the proxy's), and returns
// it ready to launch; set fills in the command.
func (b *bench) newTemplTool(name, id, file string, config func(port, proxyPort int) string, set func(*watcherTool)) (*templTool, error) {
	dir := filepath.Join(b.work, "fx-templ-"+id)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	proxyPort, err := freePort()
	if err != nil {
		return nil, err
	}
	// The config is written before the project is committed: a user's
	// is in the repository.
	if err := writeFile(filepath.Join(dir, file), config(port, proxyPort)); err != nil {
		return nil, err
	}
	fx, err := b.newTemplProject(dir, b.templShape)
	if err != nil {
		return nil, err
	}
	setting := "templ"
	if id != name {
		setting += " " + id
	}
	w := &watcherTool{name: name, setting: setting, fx: fx, port: port, c: newClient(port), ready: "/",
		starts: filepath.Join(b.work, "starts-"+id+"-templ.log")}
	set(w)
	return &templTool{w: w, proxyPort: proxyPort}, nil
}

// templRound saves page.templ with heading tok, then waits for the
// program to answer it and for the tab to paint it.
func (b *bench) templRound(tt *templTool, tok string) templRound {
	x := templRound{logOff: fileSize(tt.w.logPath)}
	if err := tt.w.fx.write("views/page.templ", templPage(tok)); err != nil {
		x.err = err.Error()
		return x
	}
	x.saved = time.Now()
	heading := templHeading(tok)
	served, err := tt.w.c.waitMatch(b.ctx, "/", short(heading), b.opts.roundTimeout, func(body string) bool { return strings.Contains(body, heading) })
	if err != nil {
		x.err = err.Error()
		return x
	}
	painted, err := paintedAt(b.ctx, tt.tab, tok, b.opts.roundTimeout)
	if err != nil {
		x.err = err.Error()
		return x
	}
	x.ok, x.serving, x.painted = true, served.Sub(x.saved), painted.Sub(x.saved)
	time.Sleep(b.settle()) // late builds and restarts, out of the next round's way
	if ev := tt.w.events; ev != nil {
		ev.refresh()
		for _, e := range ev.after(x.saved, "command") {
			if e.Time.Before(served) && strings.HasPrefix(e.Message, "rule[") {
				x.generate = e.duration()
				break
			}
		}
		if oks := ev.after(x.saved, "build_ok"); len(oks) > 0 && oks[0].Time.Before(served) {
			x.build = oks[0].duration()
		}
	}
	return x
}

// count fills in each round's builds and restarts: what happened from its
// save to the next one's (the last round's: to end). Restarts are the
// program's starts in its start log; builds are golive's build_start
// events (a failed rule's excepted) or air's "building..." lines.
func (tt *templTool) count(end time.Time) {
	starts := readStarts(tt.w.starts)
	var log []byte
	if tt.w.isGolive() {
		tt.w.events.refresh()
	} else {
		log, _ = os.ReadFile(tt.w.logPath)
	}
	for i := range tt.rounds {
		x := &tt.rounds[i]
		if x.saved.IsZero() {
			continue
		}
		to, toOff := end, int64(len(log))
		if i+1 < len(tt.rounds) && !tt.rounds[i+1].saved.IsZero() {
			to, toOff = tt.rounds[i+1].saved, tt.rounds[i+1].logOff
		}
		for _, s := range starts {
			if s.kind == "start" && s.at.After(x.saved) && s.at.Before(to) {
				x.starts++
			}
		}
		if tt.w.isGolive() {
			for _, e := range tt.w.events.after(x.saved, "build_start") {
				if e.Time.Before(to) && e.Package != "rules" && e.Package != "plugin" {
					x.builds++
				}
			}
			continue
		}
		if x.logOff <= toOff && toOff <= int64(len(log)) {
			x.builds = strings.Count(string(log[x.logOff:toOff]), "building...")
		}
	}
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// timed returns the timed rounds' serving and painted times (the ok
// ones), and how many timed rounds there were.
func (tt *templTool) timed() (serving, painted []time.Duration, of int) {
	for _, x := range tt.rounds {
		if x.warm {
			continue
		}
		of++
		if x.ok {
			serving, painted = append(serving, x.serving), append(painted, x.painted)
		}
	}
	return serving, painted, of
}

// perSave is the timed rounds' builds and restarts per save, and how
// many saves had exactly one of each.
func (tt *templTool) perSave() (builds, starts float64, exact, of int) {
	for _, x := range tt.rounds {
		if x.warm || x.saved.IsZero() {
			continue
		}
		of++
		builds += float64(x.builds)
		starts += float64(x.starts)
		if x.builds == 1 && x.starts == 1 {
			exact++
		}
	}
	if of > 0 {
		builds, starts = builds/float64(of), starts/float64(of)
	}
	return builds, starts, exact, of
}

// failures lists the rounds that failed, one note each.
func (r *templResult) failures() []string {
	var notes []string
	for _, tt := range r.tools {
		n := 0
		for _, x := range tt.rounds {
			if x.warm {
				continue
			}
			n++
			if !x.ok {
				notes = append(notes, fmt.Sprintf("templ round %d, %s: %s", n, tt.row, x.err))
			}
		}
	}
	return notes
}

func reportTempl(w io.Writer, r *templResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "### templ: save of a .templ file → the new page painted, golive against air (ms, %d interleaved rounds after a warm-up)\n\n", r.rounds)
	if r.skipped != "" {
		fmt.Fprintf(w, "Skipped: %s.\n\n", r.skipped)
		return
	}
	fmt.Fprintf(w, "A web project on templ %s (`views/page.templ` rendered by main, which lists %d internal packages of %d files), one copy per tool, each in its own headless Chromium tab through the tool's own proxy. golive: docs/recipes.md's templ rule (`templ generate -f` for each changed file) and its proxy.",
		strings.Fields(templModule)[1], r.shape.Packages, r.shape.Files)
	if len(r.tools) > 1 {
		air := strings.TrimSpace(strings.Split(strings.TrimPrefix(r.air, "air: "), ",")[0])
		fmt.Fprintf(w, " air %s, a row per set-up:", air)
		for i, tt := range r.tools[1:] {
			sep := ";"
			if i == len(r.tools)-2 {
				sep = "."
			}
			fmt.Fprintf(w, " *%s*, %s%s", tt.row, tt.air.about, sep)
		}
	}
	fmt.Fprintf(w, " Each save rewrites the page's heading; serving: the program, polled directly, answers it; painted: the tab shows it, its second animation frame after the load. Builds and restarts count from a save to the tool's next save.\n\n")
	fmt.Fprintln(w, "| tool | save → serving, median (min–max) | save → painted, median (min–max) | painted − serving, median | builds per save | restarts per save | saves with one build and one restart | ok |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, tt := range r.tools {
		serving, painted, of := tt.timed()
		s, p := statsOf(serving, of), statsOf(painted, of)
		diffs := make([]time.Duration, len(serving))
		for i := range serving {
			diffs[i] = painted[i] - serving[i]
		}
		builds, starts, exact, saves := tt.perSave()
		if s.n == 0 {
			fmt.Fprintf(w, "| %s | – | – | – | %.1f | %.1f | %d of %d | 0/%d |\n", tt.row, builds, starts, exact, saves, of)
			continue
		}
		fmt.Fprintf(w, "| %s | %s (%s–%s) | %s (%s–%s) | %s | %.1f | %.1f | %d of %d | %d/%d |\n", tt.row,
			ms(s.med), ms(s.min), ms(s.max), ms(p.med), ms(p.min), ms(p.max), signedMS(statsOf(diffs, 0).med),
			builds, starts, exact, saves, s.n, of)
	}
	if meds := r.medians(); r.tools[0].w.isGolive() && meds[0][0] > 0 {
		for i, tt := range r.tools[1:] {
			fmt.Fprintf(w, "| golive ÷ %s | %s | %s | | | | | |\n", tt.row, ratio(meds[0][0], meds[i+1][0]), ratio(meds[0][1], meds[i+1][1]))
		}
	}
	fmt.Fprintln(w)
	if g := r.tools[0]; g.w.isGolive() {
		var gen, build []time.Duration
		for _, x := range g.rounds {
			if !x.warm && x.ok && x.generate > 0 && x.build > 0 {
				gen, build = append(gen, x.generate), append(build, x.build)
			}
		}
		if len(gen) > 0 {
			fmt.Fprintf(w, "golive's parts, medians from its events: its rule's `templ generate` (`command.duration_ms`) %s ms, its build (`build_ok.duration_ms`) %s ms.\n\n",
				ms(statsOf(gen, 0).med), ms(statsOf(build, 0).med))
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "%s%s.\n\n", strings.ToUpper(n[:1]), n[1:])
	}
}

// medians is each tool's median save → serving and save → painted, in the
// order of r.tools; zero where no round of the tool's succeeded.
func (r *templResult) medians() [][2]time.Duration {
	var meds [][2]time.Duration
	for _, tt := range r.tools {
		serving, painted, _ := tt.timed()
		meds = append(meds, [2]time.Duration{statsOf(serving, 0).med, statsOf(painted, 0).med})
	}
	return meds
}

// templSummary is the summary's clause on the scenario.
func templSummary(r *templResult) string {
	if r.skipped != "" {
		return "templ: skipped, " + r.skipped
	}
	var parts []string
	meds := r.medians()
	for i, tt := range r.tools {
		_, painted, _ := tt.timed()
		_, _, exact, of := tt.perSave()
		if len(painted) == 0 {
			parts = append(parts, tt.row+" failed")
			continue
		}
		part := fmt.Sprintf("%s painted %s ms after the save (serving %s ms), one build and one restart in %d of %d saves", tt.row, ms(meds[i][1]), ms(meds[i][0]), exact, of)
		if i > 0 && r.tools[0].w.isGolive() && meds[0][1] > 0 {
			part += fmt.Sprintf(", golive ÷ it %s painted, %s serving", ratio(meds[0][1], meds[i][1]), ratio(meds[0][0], meds[i][0]))
		}
		parts = append(parts, part)
	}
	return "templ: " + strings.Join(parts, "; ")
}
