package airconf

import (
	"reflect"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/watcher"
)

// TestConvertRules: an air rule becomes a [[rule]] over what air matches
// with it (a directory narrows, extensions and files widen), and one with
// no matcher left is left out with a line rather than run on every
// change; each key of a rule that air does not read gets its line.
func TestConvertRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		doc   string
		match [][]string // the rules' globs; nil: no rule
		notes []string
	}{
		{"extensions", "[[build.rules]]\ncmd = \"x\"\ninclude_ext = [\"js\", \"*\"]\n", [][]string{{"**/*.js", "**/*"}}, nil},
		{"a directory alone", "[[build.rules]]\ncmd = \"x\"\ninclude_dir = [\"web/\", \"\"]\n", [][]string{{"web/**/*"}}, nil},
		{"files alone", "[[build.rules]]\ncmd = \"x\"\ninclude_file = [\"schema.sql\", \"./db/q.sql\"]\n", [][]string{{"./schema.sql", "db/q.sql"}}, nil},
		{"files under the directory", "[[build.rules]]\ncmd = \"x\"\ninclude_dir = [\"db\"]\ninclude_file = [\"db/q.sql\", \"other.sql\"]\n",
			[][]string{{"db/q.sql"}}, []string{`.air.toml:4: build.rules[0].include_file: "other.sql" is under none of include_dir`}},
		{"a typo", "[[build.rules]]\ncmd = \"sqlc generate\"\nincludd_ext = [\"sql\"]\n", nil, []string{
			`.air.toml:1: build.rules[0]: no include_dir, include_ext or include_file left: air refuses such a rule, and golive would run "sqlc generate" on every change; left out`,
			".air.toml:3: build.rules[0].includd_ext: air does not read this key and ignores it (a typo?); left out"}},
		{"a key of [build]", "[[build.rules]]\ncmd = \"x\"\ninclude_ext = [\"js\"]\nexclude_dir = [\"node_modules\"]\n", [][]string{{"**/*.js"}},
			[]string{".air.toml:4: build.rules[0].exclude_dir: air does not read this key and ignores it (air reads exclude_dir in [build]); left out"}},
		{"only a directory out of reach", "[[build.rules]]\ncmd = \"x\"\ninclude_dir = [\"../shared\"]\n", nil, []string{
			`.air.toml:3: build.rules[0].include_dir: "../shared" lies outside the project`, ".air.toml:1: build.rules[0]: no include_dir"}},
		{"a bad glob", "[[build.rules]]\ncmd = \"x\"\ninclude_ext = [\"[\"]\n", nil, []string{
			`.air.toml:3: build.rules[0].include_ext: "**/*.[" is no glob golive can read; left out`, ".air.toml:1: build.rules[0]: no include_dir"}},
		{"no cmd", "[[build.rules]]\ninclude_ext = [\"js\"]\n", nil, []string{".air.toml:1: build.rules[0]: no cmd: air refuses it; left out"}},
		{"a name", "[[build.rules]]\nname = \"assets\"\ncmd = \"x\"\ninclude_ext = [\"js\"]\n", [][]string{{"**/*.js"}},
			[]string{`.air.toml:2: build.rules[0].name: golive's [[rule]] has no name: its lines name a rule by its command; "assets" left out`}},
		{"written inline", "[build]\nrules = [\n  {cmd = \"x\", include_ext = [\"js\"]},\n  {cmd = \"y\", includd_ext = [\"css\"]},\n]\n", [][]string{{"**/*.js"}}, []string{
			".air.toml:2: build.rules[1]: no include_dir",
			".air.toml:4: build.rules[1].includd_ext: air does not read this key and ignores it (a typo?)"}},
		{"one table", "[build.rules]\ncmd = \"x\"\ninclude_ext = [\"js\"]\n", nil, []string{".air.toml:1: build.rules: want [[build.rules]] tables; left out"}},
	} {
		got, notes, err := Convert([]byte(tc.doc), "linux")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var match [][]string
		for _, r := range got.Rules {
			match = append(match, r.Match)
		}
		if !reflect.DeepEqual(match, tc.match) {
			t.Errorf("%s: rules match %q; want %q", tc.name, match, tc.match)
		}
		text := formatNotes(notes)
		for _, w := range tc.notes {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no line %q in:\n%s", tc.name, w, text)
			}
		}
		if strings.Count(text, "\n") != len(tc.notes) {
			t.Errorf("%s: lines:\n%s\nwant only %q", tc.name, text, tc.notes)
		}
	}
}

// TestAirPathsGlobs: air compares an include_file path with each file's
// path from the root, so its glob, in watch.include and in a rule's
// match, matches that one file by golive's own matcher: not a file of
// that name deeper down (a glob without "/" would), and not another file
// its glob characters would match. An include_dir is a path too.
func TestAirPathsGlobs(t *testing.T) {
	t.Parallel()
	const (
		dir   = "include_dir = [\"v[2]\"]\ninclude_ext = [\"html\"]\n"
		files = "include_file = [\"config.yaml\", \"conf/app.yaml\", \"a[1].txt\", \"\"]\n"
	)
	doc := "[build]\n" + dir + files + "[[build.rules]]\ncmd = \"x\"\n" + files + "[[build.rules]]\ncmd = \"y\"\n" + dir
	got, notes, err := Convert([]byte(doc), "linux")
	if err != nil || len(got.Rules) != 2 {
		t.Fatalf("Convert: %v, %d rules", err, len(got.Rules))
	}
	if text := formatNotes(notes); text != ".air.toml:2: build.include_dir: golive watches the Go files the build reads wherever they lie; the other extensions under v[2] went to watch.include\n" {
		t.Errorf("lines:\n%s", text)
	}
	inFiles := map[string]bool{"config.yaml": true, "sub/config.yaml": false, "conf/app.yaml": true, "x/conf/app.yaml": false,
		"a[1].txt": true, "a1.txt": false, "sub/a[1].txt": false}
	inDir := map[string]bool{"v[2]/a.html": true, "v[2]/b/a.html": true, "v2/a.html": false, "a.html": false}
	for _, tc := range []struct {
		globs []string
		want  []map[string]bool
	}{
		{got.Watch.Include, []map[string]bool{inFiles, inDir}},
		{got.Rules[0].Match, []map[string]bool{inFiles}},
		{got.Rules[1].Match, []map[string]bool{inDir}},
	} {
		match, err := watcher.Globs(tc.globs)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			for rel, w := range want {
				if match(rel) != w {
					t.Errorf("%q matches %s: %v; want %v", tc.globs, rel, !w, w)
				}
			}
		}
	}
}

// TestExcludeFileGlob: air matches an exclude_file pattern against the
// path from the root (filepath.Match, where * stops at a "/"), so a
// pattern with no "/" excludes files at the root only, by golive's own
// matcher too.
func TestExcludeFileGlob(t *testing.T) {
	t.Parallel()
	got, notes, err := Convert([]byte("[build]\nexclude_file = [\"*_mock.go\", \"web/gen.go\"]\n"), "linux")
	if err != nil || len(notes) > 0 {
		t.Fatalf("Convert: %v, lines:\n%s", err, formatNotes(notes))
	}
	excluded, err := watcher.Globs(got.Watch.Exclude)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]bool{"a_mock.go": true, "sub/a_mock.go": false, "web/gen.go": true, "x/web/gen.go": false} {
		if excluded(rel) != want {
			t.Errorf("%q excludes %s: %v; want %v", got.Watch.Exclude, rel, !want, want)
		}
	}
}

// TestExcludedRuleDir: air watches a rule's include_dir even when
// exclude_dir names it or a directory above it (its README pairs
// exclude_dir = ["web"] with a rule on web), while golive's watch.exclude
// wins over a rule's globs. So such a directory stays out of
// watch.exclude, with a line, and the rule's files reach it through
// golive's own filter, fed as a session feeds it (watch.include and the
// rules' globs); an exclude that hides no rule's directory stays.
func TestExcludedRuleDir(t *testing.T) {
	t.Parallel()
	const rule = "[[build.rules]]\ncmd = \"npm run build\"\ninclude_ext = [\"js\"]\n"
	for _, tc := range []struct {
		name    string
		doc     string
		exclude []string
		reach   map[string]bool // whether a file reaches the watch's batches
		note    string
	}{
		{"the README's", "[build]\nexclude_dir = [\"web\"]\n" + rule + "include_dir = [\"web\"]\n", nil,
			map[string]bool{"web/app.js": true, "web/a/b.js": true},
			`.air.toml:2: build.exclude_dir: "web" is build.rules[0]'s include_dir, which air watches all the same, and in watch.exclude it would hide the rule's files from it; left out`},
		{"a directory above", "[build]\nexclude_dir = [\"web\", \"tmp\"]\n" + rule + "include_dir = [\"./web/src/\"]\n", []string{"tmp/**"},
			map[string]bool{"web/src/app.js": true, "tmp/x.js": false},
			`.air.toml:2: build.exclude_dir: "web" holds build.rules[0]'s include_dir "web/src", which air watches all the same, and in watch.exclude it would hide the rule's files from it; left out, so the rest of web is watched too: put its other directories in watch.exclude`},
		{"a directory below", "[build]\nexclude_dir = [\"web/dist\", \"web2\"]\n" + rule + "include_dir = [\"web\"]\n", []string{"web/dist/**", "web2/**"},
			map[string]bool{"web/app.js": true, "web/dist/app.js": false, "web2/app.js": false}, ""},
		{"a rule on every directory", "[build]\nexclude_dir = [\"web\"]\n" + rule, []string{"web/**"},
			map[string]bool{"app.js": true, "web/app.js": false}, ""},
	} {
		got, notes, err := Convert([]byte(tc.doc), "linux")
		if err != nil || len(got.Rules) != 1 || got.Rules[0].Then != config.ThenNone {
			t.Fatalf("%s: Convert: %v, rules %+v", tc.name, err, got.Rules)
		}
		if !reflect.DeepEqual(got.Watch.Exclude, tc.exclude) {
			t.Errorf("%s: watch.exclude %q; want %q", tc.name, got.Watch.Exclude, tc.exclude)
		}
		want := ""
		if tc.note != "" {
			want = tc.note + "\n"
		}
		if text := formatNotes(notes); text != want {
			t.Errorf("%s: lines:\n%s\nwant:\n%s", tc.name, text, want)
		}
		filter, err := watcher.NewFilter(watcher.Options{Root: t.TempDir(), Include: append(got.Watch.Include, got.Rules[0].Match...), Exclude: got.Watch.Exclude})
		if err != nil {
			t.Fatal(err)
		}
		for rel, w := range tc.reach {
			if filter.Match(rel) != w {
				t.Errorf("%s: %s reaches the rule: %v; want %v", tc.name, rel, !w, w)
			}
		}
	}
}
