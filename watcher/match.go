package watcher

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// skippedDirs are never watched and nothing under them counts: version
// control stores and trees that go build ignores or never edits by hand.
var skippedDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".bzr": true, ".jj": true,
	"node_modules": true, "testdata": true,
}

// defaultIncludes are the files a Go build reads besides *.go.
var defaultIncludes = map[string]bool{
	"go.mod": true, "go.sum": true, "go.work": true, "go.work.sum": true,
}

// pattern is one compiled include or exclude glob.
type pattern struct {
	glob string
	base bool // no "/" in the glob: it matches the base name at any depth
}

func (p pattern) match(rel string) bool {
	if p.base {
		return doublestar.MatchUnvalidated(p.glob, path.Base(rel))
	}
	return doublestar.MatchUnvalidated(p.glob, rel)
}

// matcher is the filter: which directories are watched and which files
// count. It is immutable after newMatcher, so any goroutine may use it.
type matcher struct {
	include, exclude []pattern
	ignore           []string // slash-separated, relative to the root
	extra            func(rel string) bool
	graph            Graph      // nil in tree mode
	git              *gitIgnore // nil without Options.GitIgnore
	links            sync.Map   // rel paths of followed links to directories: git answers nothing below them
}

func newMatcher(root string, opts Options) (*matcher, error) {
	m := &matcher{extra: opts.Extra, graph: opts.Graph}
	if opts.GitIgnore {
		m.git = newGitIgnore(root, opts.Warn)
	}
	var err error
	if m.include, err = compile("include", opts.Include); err != nil {
		return nil, err
	}
	if m.exclude, err = compile("exclude", opts.Exclude); err != nil {
		return nil, err
	}
	for _, dir := range opts.Ignore {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("ignore %s: %w", dir, err)
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue // the root itself or outside it: nothing to prune
		}
		m.ignore = append(m.ignore, filepath.ToSlash(rel))
	}
	return m, nil
}

func compile(kind string, globs []string) ([]pattern, error) {
	var ps []pattern
	for _, g := range globs {
		p := pattern{glob: strings.TrimPrefix(strings.TrimPrefix(g, "./"), "/")}
		p.base = !strings.Contains(g, "/")
		if p.glob == "" || !doublestar.ValidatePattern(p.glob) {
			return nil, fmt.Errorf("%s pattern %q: %w", kind, g, doublestar.ErrBadPattern)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// skipDir reports whether the directory at rel (not the root) must never be
// watched nor have anything under it count.
func (m *matcher) skipDir(rel string) bool {
	name := path.Base(rel)
	if skippedDirs[name] || strings.HasPrefix(name, ".") {
		return true
	}
	for _, ig := range m.ignore {
		if rel == ig {
			return true
		}
	}
	return false
}

// match reports whether the file at rel triggers a rebuild.
func (m *matcher) match(rel string) bool {
	ok, _ := m.verdict(rel)
	return ok
}

// verdict reports whether the file at rel triggers a rebuild, and when it
// does not, why (the -v line of an ignored path). In graph mode the
// build graph decides the Go and module files, and the paths outside the
// root; the include patterns and Extra add to it as in tree mode.
func (m *matcher) verdict(rel string) (bool, string) {
	rel = path.Clean(rel)
	if rel == "." || path.IsAbs(rel) {
		return false, "not a file under the start directory"
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		if m.graph != nil && (m.graph.Builds(rel) || (m.extra != nil && m.extra(rel))) {
			return true, ""
		}
		return false, "outside the start directory, and not read by the build"
	}
	name := path.Base(rel)
	switch {
	case m.underSkipped(rel):
		return false, "under a directory golive never watches (hidden, version control, node_modules, testdata, golive's own)"
	case editorFile(name):
		return false, "an editor's temporary file"
	case matchAny(m.exclude, rel):
		return false, "excluded by watch.exclude"
	case m.graph != nil && BuildFile(name) && m.graph.Builds(rel), m.extra != nil && m.extra(rel):
		return true, "" // the build reads it, whatever git ignores
	case (m.graph == nil && BuildFile(name)) || matchAny(m.include, rel):
		if m.gitIgnored(rel) {
			return false, "ignored by git (.gitignore, .git/info/exclude or core.excludesFile)"
		}
		return true, ""
	case BuildFile(name):
		return false, m.graph.Why(rel)
	case strings.HasSuffix(name, "_test.go"):
		return false, "a test file"
	}
	return false, "not a file the build reads (watch.include adds more)"
}

// includeDir reports whether an include pattern may match a file in the
// directory at rel or below it: the pattern's fixed leading directories
// lie on rel's path, or it has none (a pattern without "/" matches at
// any depth).
func (m *matcher) includeDir(rel string) bool {
	for _, p := range m.include {
		base, _ := doublestar.SplitPattern(p.glob)
		if p.base || base == "." || base == rel ||
			strings.HasPrefix(rel, base+"/") || strings.HasPrefix(base, rel+"/") {
			return true
		}
	}
	return false
}

// gitIgnored reports whether git ignores rel. A path below a followed
// link is git's to refuse ("beyond a symbolic link"), so it is asked the
// link's own name instead.
func (m *matcher) gitIgnored(rel string) bool {
	if m.git == nil {
		return false
	}
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		if _, ok := m.links.Load(dir); ok {
			return m.git.ignored(dir)
		}
	}
	return m.git.ignored(rel)
}

// underSkipped reports whether a directory on the way to rel is skipped.
func (m *matcher) underSkipped(rel string) bool {
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		if m.skipDir(dir) {
			return true
		}
	}
	return false
}

// BuildFile reports whether a file named name is one go build reads by
// default: a .go file that is not a test, go.mod, go.sum, go.work or
// go.work.sum. Tree mode counts every such file under the root; in graph
// mode the graph decides which of them count.
func BuildFile(name string) bool {
	if defaultIncludes[name] {
		return true
	}
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// editorFile reports whether name is a swap, backup or temp file an editor
// writes next to the real one; reacting to those would double every save.
func editorFile(name string) bool {
	return name == "4913" || // vim's probe for a writable directory
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasSuffix(name, "~") || strings.HasPrefix(name, ".#") ||
		strings.HasSuffix(name, "___jb_tmp___") || strings.HasSuffix(name, "___jb_old___")
}

func matchAny(ps []pattern, rel string) bool {
	for _, p := range ps {
		if p.match(rel) {
			return true
		}
	}
	return false
}

// Filter is the watcher's filter on its own, for tools that study the
// events golive would react to (tools/eventgaps): it watches nothing.
type Filter struct{ m *matcher }

// NewFilter compiles the filter of a Watcher made with opts; only Root,
// Include, Exclude, Ignore and Extra are read.
func NewFilter(opts Options) (*Filter, error) {
	root, err := checkRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	m, err := newMatcher(root, opts)
	if err != nil {
		return nil, err
	}
	return &Filter{m: m}, nil
}

// Match reports whether the file at rel (slash-separated, relative to
// the root) triggers a rebuild, as Watcher.Match does.
func (f *Filter) Match(rel string) bool { return f.m.match(rel) }

// WatchDir reports whether the directory at rel is watched: neither it
// nor a directory above it is skipped. The root always is.
func (f *Filter) WatchDir(rel string) bool {
	rel = path.Clean(rel)
	return rel == "." || (!f.m.skipDir(rel) && !f.m.underSkipped(rel))
}

// Globs returns a test of a path (slash-separated, relative to the root)
// against globs, by watch.include's rules: a glob without "/" matches the
// base name at any depth.
func Globs(globs []string) (func(rel string) bool, error) {
	ps, err := compile("glob", globs)
	if err != nil {
		return nil, err
	}
	return func(rel string) bool { return matchAny(ps, rel) }, nil
}
