package airconf

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/golive-dev/golive/internal/config"
)

// rules maps [[build.rules]] to [[rule]] blocks with then = "none": air
// runs a rule's command on a change without a build of its own, and what
// the command writes is built if the build reads it.
func (c *converter) rules() {
	v, ok := c.get("build.rules")
	if !ok {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.markTable("build.rules")
		c.note("build.rules", "want [[build.rules]] tables; left out")
		return
	}
	for i := range list {
		key := fmt.Sprintf("build.rules[%d]", i)
		c.done[key] = true
		if _, ok := list[i].(map[string]any); !ok {
			c.note(key, "want a table; left out")
			continue
		}
		if r, ok := c.rule(key); ok {
			c.cfg.Rules = append(c.cfg.Rules, r)
		}
	}
}

// rule converts the air rule at key, or says why it cannot. The rule's
// keys that air does not read are left to unknown, which gives each its
// line as anywhere else.
func (c *converter) rule(key string) (config.Rule, bool) {
	cmd, _ := c.str(key + ".cmd")
	name, hasName := c.str(key + ".name")
	regexes, _ := c.strs(key + ".exclude_regex")
	_, hasDelay := c.get(key + ".delay")
	match, dirs := c.ruleMatch(key)
	switch {
	case strings.TrimSpace(cmd) == "":
		c.note(key, "no cmd: air refuses it; left out")
		return config.Rule{}, false
	case len(match) == 0:
		c.note(key, "no include_dir, include_ext or include_file left: air refuses such a rule, and golive would run %q on every change; left out", cmd)
		return config.Rule{}, false
	}
	if hasName {
		c.note(key+".name", "golive's [[rule]] has no name: its lines name a rule by its command; %q left out", name)
	}
	if len(regexes) > 0 {
		c.note(key+".exclude_regex", "a regular expression has no glob equal; the rule matches those files too")
	}
	if hasDelay {
		c.note(key+".delay", "golive runs a rule once per batch, after watch.debounce; left out")
	}
	for _, d := range dirs {
		c.ruleWatch = append(c.ruleWatch, ruleDir{rule: key, dir: d})
	}
	return config.Rule{Match: match, Run: cmd, Shell: true, Then: config.ThenNone}, true
}

// ruleMatch turns an air rule's matchers into golive's globs, and
// returns the directories it names ("web"). air matches a file under one
// of include_dir, when that names any, whose extension is one of
// include_ext or whose path is one of include_file, or any file there
// when both of those are empty. The globs are nil when no matcher is
// left: as a [[rule]] with no glob to narrow it, the command would run
// on every change.
func (c *converter) ruleMatch(key string) (match, dirs []string) {
	listed, _ := c.strs(key + ".include_dir")
	exts, _ := c.strs(key + ".include_ext")
	files, _ := c.strs(key + ".include_file")
	exts, files = trimmed(exts), trimmed(files)
	prefixes, named := c.ruleDirs(key, trimmed(listed))
	if named && len(prefixes) == 0 {
		return nil, nil // every directory it names is out of reach
	}
	add := func(from, glob string) {
		if doublestar.ValidatePattern(glob) {
			match = append(match, glob)
		} else {
			c.note(key+"."+from, "%q is no glob golive can read; left out", glob)
		}
	}
	for _, p := range prefixes {
		for _, ext := range exts {
			add("include_ext", globMeta.Replace(p)+"**/"+extGlob(ext))
		}
		if named && len(exts) == 0 && len(files) == 0 {
			add("include_dir", globMeta.Replace(p)+"**/*")
		}
	}
	for _, f := range files {
		f = slashPath(f)
		if named && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f, p) }) {
			c.note(key+".include_file", "%q is under none of include_dir, so air never matches it; left out", f)
			continue
		}
		add("include_file", fileGlob(f))
	}
	for _, p := range prefixes {
		if p != "" {
			dirs = append(dirs, strings.TrimSuffix(p, "/"))
		}
	}
	return match, dirs
}

// ruleDir is a directory a rule names in include_dir.
type ruleDir struct{ rule, dir string }

// hidesRule reports whether exclude_dir's d would keep a rule from its
// files, and then says so: air watches a rule's include_dir even when
// exclude_dir names it, or a directory above it (the README's example
// pairs exclude_dir = ["web"] with a rule on web), while golive's
// watch.exclude wins over a rule's globs, which would then match nothing,
// silently. Left out of watch.exclude, d's files reach the rule; those the
// rule matches run its command alone, with then = "none", and no build
// (internal/rules: a file a rule takes goes to the build only when the
// build reads it), as under air. For a directory above the rule's one,
// watch.exclude has no way to say "all but the rule's directory", so the
// rest of it is watched too, which the line says.
func (c *converter) hidesRule(d string) bool {
	d = slashPath(strings.TrimSpace(d))
	for _, r := range c.ruleWatch {
		switch {
		case r.dir == d:
			c.note("build.exclude_dir", "%q is %s's include_dir, which air watches all the same, and in watch.exclude it would hide the rule's files from it; left out", d, r.rule)
			return true
		case strings.HasPrefix(r.dir, d+"/"):
			c.note("build.exclude_dir", "%q holds %s's include_dir %q, which air watches all the same, and in watch.exclude it would hide the rule's files from it; left out, so the rest of %s is watched too: put its other directories in watch.exclude", d, r.rule, r.dir, d)
			return true
		}
	}
	return false
}

// ruleDirs turns a rule's include_dir into path prefixes ("web/", and
// "" for the whole project; escaped where they start a glob), and
// reports whether it named any directory: with none, the prefix ""
// stands for anywhere.
func (c *converter) ruleDirs(key string, dirs []string) ([]string, bool) {
	if len(dirs) == 0 {
		return []string{""}, false
	}
	var prefixes []string
	for _, d := range dirs {
		switch d = slashPath(d); {
		case path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../"):
			c.note(key+".include_dir", "%q lies outside the project, where golive's globs do not reach; left out", d)
		case d == ".":
			prefixes = append(prefixes, "")
		default:
			prefixes = append(prefixes, d+"/")
		}
	}
	return prefixes, true
}

// extGlob is the base-name glob of one of air's extensions; "*" is any.
func extGlob(ext string) string {
	if ext == "*" {
		return "*"
	}
	return "*." + ext
}

// slashPath is an air path as golive's globs write it: slashes, cleaned.
func slashPath(p string) string {
	return path.Clean(strings.ReplaceAll(p, `\`, "/"))
}

// fileGlob is the glob that matches the one file air means by an
// include_file path: air compares the path with each file's path from
// the root, character for character. So the glob's metacharacters are
// escaped, and a path with no "/" gets a leading "./": golive matches a
// glob without "/" against the base name at any depth, and drops the
// "./" before matching from the root (docs/usage.md).
func fileGlob(f string) string {
	g := globMeta.Replace(slashPath(f))
	if !strings.Contains(g, "/") {
		g = "./" + g
	}
	return g
}

var globMeta = strings.NewReplacer("*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`)

// trimmed drops the blank entries of list and trims the others: air
// skips the blank ones.
func trimmed(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
