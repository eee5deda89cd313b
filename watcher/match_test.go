package watcher

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	root := filepath.FromSlash("/src/app")
	embedded := func(rel string) bool { return strings.HasPrefix(rel, "static/") }
	tests := []struct {
		name string
		opts Options
		rel  string
		want bool
	}{
		{"go file", Options{}, "main.go", true},
		{"nested go file", Options{}, "internal/a/b.go", true},
		{"test file", Options{}, "internal/a/b_test.go", false},
		{"go.mod", Options{}, "go.mod", true},
		{"nested go.sum", Options{}, "hot/go.sum", true},
		{"go.work", Options{}, "go.work", true},
		{"other file", Options{}, "README.md", false},
		{"vendor is watched", Options{}, "vendor/x/y.go", true},
		{"root itself", Options{}, ".", false},
		{"outside root", Options{}, "../x.go", false},

		{"git dir", Options{}, ".git/hooks/x.go", false},
		{"hg dir", Options{}, "a/.hg/x.go", false},
		{"svn dir", Options{}, ".svn/x.go", false},
		{"bzr dir", Options{}, ".bzr/x.go", false},
		{"jj dir", Options{}, ".jj/x.go", false},
		{"node_modules", Options{}, "web/node_modules/p/x.go", false},
		{"testdata", Options{}, "pkg/testdata/x.go", false},
		{"hidden dir", Options{}, "a/.cache/x.go", false},
		{"hidden file is not a hidden dir", Options{Include: []string{".env"}}, ".env", true},

		{"vim swap", Options{}, ".main.go.swp", false},
		{"vim swx", Options{}, ".main.go.swx", false},
		{"backup", Options{}, "main.go~", false},
		{"vim probe", Options{}, "4913", false},
		{"emacs lock", Options{}, ".#main.go", false},
		{"jetbrains tmp", Options{}, "main.go___jb_tmp___", false},
		{"jetbrains old", Options{}, "main.go___jb_old___", false},
		{"editor file beats include", Options{Include: []string{"*"}}, "a/.x.swp", false},
		{"editor file beats extra", Options{Extra: func(string) bool { return true }}, "static/4913", false},

		{"include base name at any depth", Options{Include: []string{"*.html"}}, "web/tpl/index.html", true},
		{"include with slash is rooted", Options{Include: []string{"web/*.html"}}, "web/index.html", true},
		{"include with slash is not any depth", Options{Include: []string{"web/*.html"}}, "x/web/index.html", false},
		{"include with ./", Options{Include: []string{"./web/*.html"}}, "web/index.html", true},
		{"include doublestar", Options{Include: []string{"assets/**/*.css"}}, "assets/a/b/c.css", true},
		{"include doublestar zero dirs", Options{Include: []string{"assets/**/*.css"}}, "assets/c.css", true},
		{"include braces", Options{Include: []string{"*.{tmpl,sql}"}}, "db/q.sql", true},
		{"include still skips dirs", Options{Include: []string{"**/*.html"}}, "node_modules/x/a.html", false},
		{"exclude base name", Options{Exclude: []string{"*_gen.go"}}, "api/x_gen.go", false},
		{"exclude with slash", Options{Exclude: []string{"internal/gen/**"}}, "internal/gen/a/x.go", false},
		{"exclude with slash is rooted", Options{Exclude: []string{"gen/**"}}, "internal/gen/x.go", true},
		{"exclude beats include", Options{Include: []string{"*.html"}, Exclude: []string{"draft/**"}}, "draft/a.html", false},
		{"exclude beats extra", Options{Extra: embedded, Exclude: []string{"*.tmp"}}, "static/x.tmp", false},

		{"extra counts", Options{Extra: embedded}, "static/logo.svg", true},
		{"extra still skips hidden", Options{Extra: embedded}, "static/.cache/logo.svg", false},
		{"ignored dir", Options{Ignore: []string{filepath.Join(root, "bin")}}, "bin/x.go", false},
		{"ignored dir deeper", Options{Ignore: []string{filepath.Join(root, "tmp", "out")}}, "tmp/out/a/x.go", false},
		{"ignored dir prefix only", Options{Ignore: []string{filepath.Join(root, "bin")}}, "binary/x.go", true},
		{"ignore outside root", Options{Ignore: []string{filepath.FromSlash("/elsewhere")}}, "x.go", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := newMatcher(root, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.match(tt.rel); got != tt.want {
				t.Errorf("match(%q) = %v, want %v", tt.rel, got, tt.want)
			}
		})
	}
}

func TestSkipDir(t *testing.T) {
	t.Parallel()
	m, err := newMatcher("/src", Options{Ignore: []string{"/src/out"}})
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]bool{
		".git": true, "a/.hg": true, "node_modules": true, "a/testdata": true, ".idea": true,
		"out": true, "vendor": false, "internal": false, "_tools": false, "a/out": false,
	} {
		if got := m.skipDir(rel); got != want {
			t.Errorf("skipDir(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestBadPattern(t *testing.T) {
	t.Parallel()
	for _, opts := range []Options{
		{Include: []string{"*.go", "[a-"}},
		{Exclude: []string{"{a,b"}},
		{Include: []string{""}},
	} {
		_, err := newMatcher("/src", opts)
		if err == nil {
			t.Errorf("newMatcher(%+v): no error", opts)
			continue
		}
		bad := append(opts.Include, opts.Exclude...)
		if want := `"` + bad[len(bad)-1] + `"`; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name the pattern %s", err, want)
		}
	}
}

func TestFilterWatchDir(t *testing.T) {
	t.Parallel()
	f, err := NewFilter(Options{Root: t.TempDir(), Ignore: nil})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rel  string
		want bool
	}{
		{".", true}, {"internal/x", true}, {".git", false}, {"a/node_modules/b", false}, {"a/.cache", false},
	} {
		if got := f.WatchDir(tc.rel); got != tc.want {
			t.Errorf("WatchDir(%q) = %v, want %v", tc.rel, got, tc.want)
		}
	}
	if !f.Match("main.go") || f.Match("main_test.go") || f.Match(".git/x.go") {
		t.Errorf("Match disagrees with the watcher's defaults")
	}
}
