package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
)

// The editor patterns are tested as shipped: the VS Code problem matcher is
// read from examples/hello/.vscode/tasks.json and the Vim, Emacs and GoLand
// patterns from the blocks of docs/editors.md marked <!-- editors_test: NAME -->.
// Each is applied to what golive really prints for a failing build and for
// the fixed one, with colour on and off. A pattern in another regexp dialect
// is used as is where Go reads it the same (VS Code's JavaScript subset,
// checked against node where installed), translated where the translation is
// exact (Emacs, JetBrains' macros), and otherwise handed to the real program
// (Vim's errorformat).
const (
	tasksJSON  = "../../examples/hello/.vscode/tasks.json"
	editorsDoc = "../../docs/editors.md"
)

// editorDiag is one diagnostic as an editor should see it; Col 0 means none.
type editorDiag struct {
	File    string
	Line    int
	Col     int
	Message string
}

func (d editorDiag) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Message)
}

// The fixture fails in two packages that do not import each other, so go
// build reports both: one file at the root, two errors in a nested
// directory, one of them a message holding ": ".
var (
	editorFixture = map[string]string{
		"go.mod":          "module example.com/fx\n\ngo 1.22\n",
		"cmd/app/main.go": "package main\n\nimport (\n\t\"example.com/fx\"\n\t\"example.com/fx/internal/num\"\n)\n\nfunc main() { println(fx.Hello(), num.N()) }\n",
	}
	editorBroken = map[string]string{
		"fx.go":               "package fx\n\nfunc Hello() string { return \"hi\" + missing }\n",
		"internal/num/num.go": "package num\n\nfunc N() int {\n\tx := 1\n\treturn \"seven\"\n}\n",
	}
	editorFixed = map[string]string{
		"fx.go":               "package fx\n\nfunc Hello() string { return \"hi\" }\n",
		"internal/num/num.go": "package num\n\nfunc N() int { return 7 }\n",
	}
	editorWant = []editorDiag{
		{"fx.go", 3, 37, "undefined: missing"},
		{"internal/num/num.go", 4, 2, "declared and not used: x"},
		{"internal/num/num.go", 5, 9, `cannot use "seven" (untyped string constant) as int value in return statement`},
	}
	// go build always gives a column; golive prints none when it has none,
	// so that shape is rendered by golive's logger directly.
	editorNoColumn = editorDiag{"gen/table.s", 7, 0, "unexpected EOF: in macro"}
)

// editorOutput is golive's stderr for one build.
type editorOutput struct {
	name   string // e.g. "broken/always"
	text   string
	failed bool
	want   []editorDiag
	real   bool // files are in dir
}

func TestEditorPatterns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeEditorFiles(t, dir, editorFixture)
	var outs []editorOutput
	for _, state := range []struct {
		name   string
		files  map[string]string
		failed bool
		want   []editorDiag
	}{{"broken", editorBroken, true, editorWant}, {"fixed", editorFixed, false, nil}} {
		writeEditorFiles(t, dir, state.files)
		for _, mode := range []string{"always", "never"} {
			var stdout, stderr bytes.Buffer
			code := run([]string{"build", "-C", dir, "--color", mode}, strings.NewReader(""), &stdout, &stderr)
			name := state.name + "/" + mode
			if want := map[bool]int{true: exitBuildFailed, false: exitOK}[state.failed]; code != want {
				t.Fatalf("%s: golive build exited %d, want %d; stderr:\n%s", name, code, want, &stderr)
			}
			if colored := strings.Contains(stderr.String(), "\x1b["); colored != (mode == "always") {
				t.Fatalf("%s: colour escapes present = %v; stderr:\n%q", name, colored, &stderr)
			}
			outs = append(outs, editorOutput{name, stderr.String(), state.failed, state.want, true})
		}
	}
	for _, color := range []bool{true, false} {
		var b bytes.Buffer
		l := events.New(&b, events.Options{Color: color})
		l.Emit(events.Event{Type: events.BuildStart, Package: "./cmd/app"})
		l.Emit(events.Event{Type: events.BuildFailed, Duration: 90 * time.Millisecond, Diagnostics: []events.Diagnostic{
			{File: editorNoColumn.File, Line: editorNoColumn.Line, Message: editorNoColumn.Message}}})
		outs = append(outs, editorOutput{fmt.Sprintf("nocolumn/color=%v", color), b.String(), true, []editorDiag{editorNoColumn}, false})
	}

	t.Run("vscode", func(t *testing.T) { t.Parallel(); testVSCode(t, dir, outs) })
	t.Run("vim", func(t *testing.T) { t.Parallel(); testVim(t, dir, outs) })
	t.Run("emacs", func(t *testing.T) { t.Parallel(); testEmacs(t, outs) })
	t.Run("goland", func(t *testing.T) { t.Parallel(); testGoLand(t, outs) })
}

func writeEditorFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var editorANSI = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// golive's own summary lines, found without the patterns under test.
func isBuildStart(l string) bool {
	return strings.HasPrefix(editorANSI.ReplaceAllString(l, ""), "[build] building ")
}

func isBuildEnd(l string) bool {
	l = editorANSI.ReplaceAllString(l, "")
	return strings.HasPrefix(l, "[build] built in ") || strings.HasPrefix(l, "[build] failed in ")
}

func editorLines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func sortedDiags(ds []editorDiag) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	slices.Sort(out)
	return out
}

func checkDiags(t *testing.T, who, name string, got, want []editorDiag) {
	t.Helper()
	if g, w := sortedDiags(got), sortedDiags(want); !slices.Equal(g, w) {
		t.Errorf("%s on %s:\n got  %q\n want %q", who, name, g, w)
	}
}

// vscodeMatcher is the part of a problemMatcher the test reads.
type vscodeMatcher struct {
	Owner        string
	FileLocation []string
	Pattern      struct {
		Regexp                      string
		File, Line, Column, Message int
	}
	Background *struct {
		ActiveOnStart              bool
		BeginsPattern, EndsPattern string
	}
}

func testVSCode(t *testing.T, dir string, outs []editorOutput) {
	data, err := os.ReadFile(tasksJSON)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Version string
		Tasks   []struct {
			Label, Type, Command string
			Args                 []string
			IsBackground         bool
			Group                struct{ Kind string }
			ProblemMatcher       vscodeMatcher
		}
	}
	// encoding/json rejects comments and trailing commas: the file is strict JSON.
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", tasksJSON, err)
	}
	var background, build bool
	var patterns []string
	for _, task := range file.Tasks {
		m := task.ProblemMatcher
		if task.Command != "golive" {
			t.Errorf("task %q runs %q, want golive from PATH", task.Label, task.Command)
		}
		if m.Owner != "go" || !slices.Equal(m.FileLocation, []string{"relative", "${workspaceFolder}"}) {
			t.Errorf("task %q: owner %q, fileLocation %q", task.Label, m.Owner, m.FileLocation)
		}
		if task.IsBackground {
			background = true
			if len(task.Args) != 0 || m.Background == nil || !m.Background.ActiveOnStart {
				t.Fatalf("background task %q: args %q, background %+v", task.Label, task.Args, m.Background)
			}
		} else if slices.Equal(task.Args, []string{"build"}) && task.Group.Kind == "build" {
			build = true
		}
		patterns = append(patterns, m.Pattern.Regexp)
		if m.Background != nil {
			patterns = append(patterns, m.Background.BeginsPattern, m.Background.EndsPattern)
		}
		t.Run(task.Label, func(t *testing.T) { checkVSCodeMatcher(t, dir, m, outs) })
	}
	if !background || !build {
		t.Errorf("%s: want a background golive task and a golive build task in the build group", tasksJSON)
	}
	checkWithNode(t, patterns, outs)
}

func checkVSCodeMatcher(t *testing.T, dir string, m vscodeMatcher, outs []editorOutput) {
	re, err := regexp.Compile(m.Pattern.Regexp)
	if err != nil {
		t.Fatalf("pattern.regexp is not valid in Go too: %v", err)
	}
	p := m.Pattern
	for _, out := range outs {
		var got []editorDiag
		for _, l := range editorLines(out.text) {
			g := re.FindStringSubmatch(l)
			if g == nil {
				continue
			}
			n, _ := strconv.Atoi(g[p.Line])
			c, _ := strconv.Atoi(g[p.Column])
			got = append(got, editorDiag{g[p.File], n, c, g[p.Message]})
		}
		checkDiags(t, "pattern.regexp", out.name, got, out.want)
		if out.real {
			for _, d := range got { // fileLocation: relative to the folder golive ran in
				if _, err := os.Stat(filepath.Join(dir, d.File)); err != nil {
					t.Errorf("%s: %v", out.name, err)
				}
			}
		}
		if m.Background == nil {
			continue
		}
		begins := regexp.MustCompile(m.Background.BeginsPattern)
		ends := regexp.MustCompile(m.Background.EndsPattern)
		for i, l := range editorLines(out.text) {
			if b := begins.MatchString(l); b != isBuildStart(l) {
				t.Errorf("%s line %d: beginsPattern matched = %v on %q", out.name, i+1, b, l)
			}
			if e := ends.MatchString(l); e != isBuildEnd(l) {
				t.Errorf("%s line %d: endsPattern matched = %v on %q", out.name, i+1, e, l)
			}
		}
		if n := strings.Count(editorANSI.ReplaceAllString(out.text, ""), "[build] building "); n != 1 {
			t.Errorf("%s: %d build starts, want 1", out.name, n)
		}
		wantEnd := map[bool]string{true: "[build] failed in ", false: "[build] built in "}[out.failed]
		if !slices.ContainsFunc(editorLines(out.text), func(l string) bool {
			return ends.MatchString(l) && strings.HasPrefix(editorANSI.ReplaceAllString(l, ""), wantEnd)
		}) {
			t.Errorf("%s: endsPattern never matched a %q line:\n%s", out.name, wantEnd, out.text)
		}
	}
}

// checkWithNode runs the patterns through JavaScript's own RegExp, as VS
// Code does, and requires the same groups as Go's on every line.
func checkWithNode(t *testing.T, patterns []string, outs []editorOutput) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node not installed; the JavaScript patterns are checked with Go's regexp only")
		return
	}
	var all []string
	for _, out := range outs {
		all = append(all, editorLines(out.text)...)
	}
	input, _ := json.Marshal(map[string][]string{"patterns": patterns, "lines": all})
	const script = `let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const {patterns, lines} = JSON.parse(s);
		console.log(JSON.stringify(patterns.map(p => lines.map(l => {
			const m = new RegExp(p).exec(l);
			return m && Array.from(m, g => g === undefined ? "" : g);
		}))));
	});`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, &stderr)
	}
	var got [][][]string
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatalf("node: %v: %s", err, js)
	}
	for i, p := range patterns {
		re := regexp.MustCompile(p)
		for j, l := range all {
			if g := re.FindStringSubmatch(l); !slices.Equal(g, got[i][j]) {
				t.Errorf("pattern %q on %q: Go %q, JavaScript %q", p, l, g, got[i][j])
			}
		}
	}
}

// docBlock returns the fenced block after <!-- editors_test: name --> in
// docs/editors.md.
func docBlock(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(editorsDoc)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- editors_test: " + regexp.QuoteMeta(name) + " -->\\s*```[a-z]*\n(.*?)```")
	m := re.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no block marked editors_test: %s", editorsDoc, name)
	}
	return string(m[1])
}

// testVim loads golive's output into real Vim's quickfix list with the
// documented errorformat. Vim reads the raw bytes, so the colourless
// output is the one the docs promise to work.
func testVim(t *testing.T, dir string, outs []editorOutput) {
	var set string
	for _, l := range editorLines(docBlock(t, "vim")) {
		if strings.HasPrefix(l, "set errorformat=") {
			set = l
		}
	}
	if set == "" {
		t.Fatal("the vim block sets no errorformat")
	}
	vim, err := exec.LookPath("vim")
	if err != nil {
		t.Skip("vim not installed")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, out := range outs {
		if strings.Contains(out.text, "\x1b[") {
			continue
		}
		in, result := filepath.Join(tmp, fmt.Sprint("out", i)), filepath.Join(tmp, fmt.Sprint("qf", i))
		if err := os.WriteFile(in, []byte(out.text), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, vim, "-Es", "-u", "NONE", "-i", "NONE", "-N",
			"-c", set,
			"-c", "cgetfile "+in,
			"-c", `call writefile(map(getqflist(), {_, e -> e.valid . "\t" . bufname(e.bufnr) . "\t" . e.lnum . "\t" . e.col . "\t" . e.text}), '`+result+`')`,
			"-c", "qa!")
		cmd.Dir = dir // quickfix file names stay as golive printed them
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("vim: %v\n%s", err, b)
		}
		data, err := os.ReadFile(result)
		if err != nil {
			t.Fatalf("vim wrote no quickfix list: %v", err)
		}
		var got []editorDiag
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if l == "" {
				continue
			}
			f := strings.SplitN(l, "\t", 5)
			if len(f) != 5 || f[0] != "1" {
				t.Errorf("%s: quickfix entry that is not a valid location: %q", out.name, l)
				continue
			}
			n, _ := strconv.Atoi(f[2])
			c, _ := strconv.Atoi(f[3])
			got = append(got, editorDiag{f[1], n, c, f[4]})
		}
		checkDiags(t, "vim "+set, out.name, got, out.want)
	}
}

// testEmacs translates the documented compilation-error-regexp-alist-alist
// entry to Go. Emacs searches the buffer, not lines, so the entry's
// classes exclude newlines and the translation per line is exact.
func testEmacs(t *testing.T, outs []editorOutput) {
	block := docBlock(t, "emacs")
	m := regexp.MustCompile(`(?s)'\(golive\s*(".*?[^\\]")\s+(\d+)\s+(\d+)\s+(\d+)\)`).FindStringSubmatch(block)
	if m == nil {
		t.Fatalf("no '(golive \"REGEXP\" FILE LINE COLUMN) entry in:\n%s", block)
	}
	src, err := elispString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	goRE, err := emacsToGo(src)
	if err != nil {
		t.Fatal(err)
	}
	re, err := regexp.Compile(goRE)
	if err != nil {
		t.Fatalf("%q translated to %q: %v", src, goRE, err)
	}
	fileG, _ := strconv.Atoi(m[2])
	lineG, _ := strconv.Atoi(m[3])
	colG, _ := strconv.Atoi(m[4])
	for _, out := range outs {
		var got []editorDiag
		for _, l := range editorLines(out.text) {
			idx := re.FindStringSubmatchIndex(l)
			if idx == nil {
				continue
			}
			g := func(n int) string {
				if idx[2*n] < 0 {
					return ""
				}
				return l[idx[2*n]:idx[2*n+1]]
			}
			n, _ := strconv.Atoi(g(lineG))
			c, _ := strconv.Atoi(g(colG))
			// Emacs shows the rest of the line as the message.
			msg := editorANSI.ReplaceAllString(l[idx[1]:], "")
			got = append(got, editorDiag{g(fileG), n, c, msg})
		}
		checkDiags(t, "emacs "+goRE, out.name, got, out.want)
	}
}

// elispString reads an Emacs Lisp string literal.
func elispString(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", fmt.Errorf("not a string literal: %s", lit)
	}
	var b strings.Builder
	for i := 1; i < len(lit)-1; i++ {
		c := lit[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch lit[i] {
		case '\\', '"':
			b.WriteByte(lit[i])
		case 'e':
			b.WriteByte(0x1b)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			return "", fmt.Errorf("string escape \\%c: add it to elispString", lit[i])
		}
	}
	return b.String(), nil
}

// emacsToGo translates the part of Emacs regexp syntax that has an exact
// Go equivalent, and refuses the rest: \( \(?: \) \| are groups and
// alternation, a bare ( ) | { } is literal, and nothing inside [...] is
// special but a leading ^ and the closing ].
func emacsToGo(src string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			if i+1 == len(src) {
				return "", fmt.Errorf("trailing backslash in %q", src)
			}
			i++
			switch src[i] {
			case '(':
				if strings.HasPrefix(src[i:], "(?:") {
					b.WriteString("(?:")
					i += 2
				} else {
					b.WriteString("(")
				}
			case ')', '|':
				b.WriteByte(src[i])
			case '[', ']', '.', '*', '+', '?', '^', '$', '\\':
				b.WriteByte('\\')
				b.WriteByte(src[i])
			default:
				return "", fmt.Errorf("emacs regexp \\%c has no exact Go translation here", src[i])
			}
		case c == '[':
			j := i + 1
			if j < len(src) && src[j] == '^' {
				j++
			}
			if j < len(src) && src[j] == ']' {
				j++
			}
			end := strings.IndexByte(src[j:], ']')
			if end < 0 {
				return "", fmt.Errorf("unclosed [ in %q", src)
			}
			end += j
			body := src[i+1 : end]
			if strings.Contains(body, "[:") {
				return "", fmt.Errorf("character classes [:name:] are not translated: %q", body)
			}
			b.WriteByte('[')
			for k := 0; k < len(body); k++ {
				if strings.IndexByte(`\[]`, body[k]) >= 0 && !(k == 0 && body[k] == '^') {
					b.WriteByte('\\')
				}
				b.WriteByte(body[k])
			}
			b.WriteByte(']')
			i = end
		case strings.IndexByte("(){}|", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// testGoLand expands the documented output filter the way JetBrains'
// RegexpFilter does (its $FILE_PATH$ and number patterns; \p{Alpha} is
// ASCII letters in Java) and finds it in each line of the colourless output.
func testGoLand(t *testing.T, outs []editorOutput) {
	filter := strings.TrimSpace(docBlock(t, "goland"))
	macros := regexp.MustCompile(`\$(FILE_PATH|LINE|COLUMN)\$`)
	if rest := macros.ReplaceAllString(filter, ""); strings.Trim(rest, ": ") != "" {
		t.Fatalf("filter %q holds more than macros, colons and spaces; translate it by hand", filter)
	}
	groups := map[string]int{}
	for i, m := range macros.FindAllStringSubmatch(filter, -1) {
		groups[m[1]] = i + 1
	}
	expanded := macros.ReplaceAllStringFunc(filter, func(m string) string {
		if m == "$FILE_PATH$" {
			return `((?:[A-Za-z]:)?[0-9 a-z_A-Z\-\\./]+)`
		}
		return `([0-9]+)`
	})
	re := regexp.MustCompile("(?m)" + expanded)
	for _, out := range outs {
		if strings.Contains(out.text, "\x1b[") {
			continue // the docs ask for --color never
		}
		var got []editorDiag
		for _, l := range editorLines(out.text) {
			g := re.FindStringSubmatch(l)
			if g == nil {
				continue
			}
			n, _ := strconv.Atoi(g[groups["LINE"]])
			var c int
			if groups["COLUMN"] > 0 {
				c, _ = strconv.Atoi(g[groups["COLUMN"]])
			}
			got = append(got, editorDiag{g[groups["FILE_PATH"]], n, c, ""})
		}
		var want []editorDiag
		for _, d := range out.want {
			if d.Col > 0 || groups["COLUMN"] == 0 { // the filter requires a column
				want = append(want, editorDiag{d.File, d.Line, d.Col, ""})
			}
		}
		checkDiags(t, "goland "+filter, out.name, got, want)
	}
}
