// Package airconf turns an air configuration (.air.toml) into golive's
// settings, for `golive init --from-air`: every key it can map, and one
// note for every key it cannot, with the key's line and why, and for
// every key that air itself would ignore (an unknown key, a misplaced
// table).
package airconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/pelletier/go-toml/v2"

	"github.com/golive-dev/golive/internal/config"
)

// Note is one key golive did not take over as it was.
type Note struct {
	Key  string
	Line int
	Why  string
}

// Format is the note as one line: "FILE:LINE: KEY: WHY".
func (n Note) Format(file string) string {
	if n.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", file, n.Line, n.Key, n.Why)
	}
	return fmt.Sprintf("%s: %s: %s", file, n.Key, n.Why)
}

// Names are where air looks for its config, in its order.
var Names = []string{".air.toml", filepath.Join(".config", "air.toml")}

// Find returns the air config of dir, or "" when there is none.
func Find(dir string) string {
	for _, name := range Names {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			return filepath.Join(dir, name)
		}
	}
	return ""
}

// Read reads the air config at path and converts it for goos (the
// per-system [build.GOOS] table applies).
func Read(path, goos string) (config.Config, []Note, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Config{}, nil, fmt.Errorf("%s: no such file", path)
	}
	if err != nil {
		return config.Config{}, nil, err
	}
	return Convert(data, goos)
}

// Convert converts an air config's text for goos. The result passes
// config.Validate.
func Convert(data []byte, goos string) (config.Config, []Note, error) {
	ix, err := indexKeys(data)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("air config: %w", err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return config.Config{}, nil, fmt.Errorf("air config: %w", err)
	}
	c := &converter{ix: ix, doc: doc, cfg: config.Default(), goos: goos, done: map[string]bool{}}
	c.convert()
	c.dropBadGlobs()
	c.unknown()
	if err := c.cfg.Validate(); err != nil {
		return config.Config{}, nil, fmt.Errorf("the converted settings do not validate (%v); please report it", err)
	}
	slices.SortStableFunc(c.notes, func(a, b Note) int { return a.Line - b.Line })
	return c.cfg, c.notes, nil
}

type converter struct {
	ix    *index
	doc   map[string]any
	cfg   config.Config
	goos  string
	notes []Note
	done  map[string]bool // keys read, mapped or noted
	// outputs are the paths go build -o writes the program to: a run
	// command that starts another is not the program's.
	outputs []string
	// ruleWatch are the include_dir of the rules converted, which air
	// watches even where exclude_dir says not to.
	ruleWatch []ruleDir
}

// note adds key's line, once: a key read twice (include_ext, for the
// watch and for a rule) gets one line for one problem.
func (c *converter) note(key, format string, args ...any) {
	c.done[key] = true
	n := Note{Key: key, Line: c.ix.line(key), Why: fmt.Sprintf(format, args...)}
	if !slices.Contains(c.notes, n) {
		c.notes = append(c.notes, n)
	}
}

// get returns the value at a dotted key, whose parts may index an array
// of tables ("build.rules[1].cmd"), and marks it read.
func (c *converter) get(key string) (any, bool) {
	var v any = c.doc
	for _, part := range strings.Split(key, ".") {
		name, i := splitIndex(part)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
		if i < 0 {
			continue
		}
		if list, ok := v.([]any); ok && i < len(list) {
			v = list[i]
		} else {
			return nil, false
		}
	}
	c.done[key] = true
	return v, true
}

// splitIndex splits "rules[1]" into "rules" and 1; a part with no index
// gives -1.
func splitIndex(part string) (string, int) {
	name, rest, ok := strings.Cut(part, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return part, -1
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || i < 0 {
		return part, -1
	}
	return name, i
}

func (c *converter) str(key string) (string, bool) {
	v, ok := c.get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.note(key, "want a string, got %T; left out", v)
	}
	return s, ok
}

func (c *converter) strs(key string) ([]string, bool) {
	v, ok := c.get(key)
	if !ok {
		return nil, false
	}
	list, ok := v.([]any)
	if !ok {
		c.note(key, "want an array of strings; left out")
		return nil, false
	}
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out, true
}

func (c *converter) boolean(key string) (bool, bool) {
	v, ok := c.get(key)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		c.note(key, "want a boolean; left out")
	}
	return b, ok
}

func (c *converter) integer(key string) (int64, bool) {
	v, ok := c.get(key)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		c.note(key, "want an integer; left out")
	}
	return n, ok
}

func (c *converter) convert() {
	c.top()
	c.build()
	c.rules() // before watch: exclude_dir yields to the rules' directories
	c.watch()
	c.stop()
	c.proxy()
	c.output()
}

func (c *converter) top() {
	if root, ok := c.str("root"); ok && root != "." && root != "" {
		c.note("root", "golive works in the directory it starts in: run it there, or with -C %s", root)
	}
	if tmp, ok := c.str("tmp_dir"); ok && !usableDir(tmp) {
		c.note("tmp_dir", "%q is the whole project; left out", tmp)
	} else if ok && tmp != "" {
		c.done["tmp_dir"] = true
		c.cfg.Watch.Exclude = append(c.cfg.Watch.Exclude, strings.TrimSuffix(tmp, "/")+"/**")
		c.note("tmp_dir", "golive keeps its binary in a cache directory of its own; %s/** went to watch.exclude", tmp)
	}
	if dir, ok := c.str("testdata_dir"); ok {
		c.note("testdata_dir", "golive never watches testdata directories; %q needs nothing", dir)
	}
	if files, ok := c.strs("env_files"); ok && len(files) > 0 {
		c.cfg.Run.EnvFile = files[0]
		if len(files) > 1 {
			c.note("env_files", "golive reads one env file (run.env_file = %q); %s left out", files[0], strings.Join(files[1:], ", "))
		}
	}
}

// build maps the build command, the commands around it and how the
// program starts, from [build] and from this system's [build.GOOS]
// table, key by key, as air reads them.
func (c *converter) build() {
	c.osTables()
	if cmds, ok := c.strs(c.field("pre_cmd")); ok {
		c.cfg.Build.Before = append(c.cfg.Build.Before, cmds...)
	}
	if key := c.field("post_cmd"); c.has(key) {
		c.note(key, "golive runs no command when it exits; left out")
	}
	key := c.field("cmd")
	if cmd, ok := c.str(key); ok && strings.TrimSpace(cmd) != "" {
		c.buildCmd(key, cmd)
	}
	c.program()
}

// osTables leaves out the [build.GOOS] tables of other systems, one line
// each. This system's is read key by key (field), so a key air does not
// read there gets its own line (unknown), as one in [build] does.
func (c *converter) osTables() {
	for _, goos := range []string{"windows", "darwin", "linux"} {
		key := "build." + goos
		if _, ok := c.get(key); !ok || goos == c.goos {
			continue
		}
		c.markTable(key)
		c.note(key, "golive builds alike on every system; the table for %s left out", goos)
	}
}

// field is the key air reads the [build] setting name from on this
// system: the [build.GOOS] table's when that sets it (an empty string
// there leaves [build]'s, as in air), else [build]'s. A [build] value the table
// replaces gets a line: golive's settings are the same on every system.
func (c *converter) field(name string) string {
	key, base := "build."+c.goos+"."+name, "build."+name
	if v, ok := c.get(key); !ok || v == "" {
		return base
	}
	if c.has(base) {
		c.note(base, "[build.%s] replaces it on %s, and golive's settings are the same on every system; left out", c.goos, c.goos)
	}
	return key
}

func (c *converter) has(key string) bool {
	_, ok := c.ix.lines[key]
	return ok
}

// markTable marks every key under table read.
func (c *converter) markTable(table string) {
	for _, k := range c.ix.keys {
		if k == table || strings.HasPrefix(k, table+".") {
			c.done[k] = true
		}
	}
}

// buildCmd maps air's build command. A go build becomes build.package,
// flags, tags, ldflags and env; the commands before it in the line, and
// a line that is no go build, become a [[rule]] over the watched
// extensions: air ran them on every change it built for.
func (c *converter) buildCmd(key, line string) {
	cmds, ok := splitLine(line)
	if !ok {
		c.ruleFromCmd(key, line, "is not a plain go build")
		return
	}
	var others []string
	found := false
	for _, cmd := range cmds {
		if !found && len(cmd.args) >= 2 && cmd.args[0] == "go" && cmd.args[1] == "build" {
			c.goBuild(key, cmd)
			found = true
			continue
		}
		others = append(others, cmd.text)
	}
	switch {
	case !found:
		c.ruleFromCmd(key, line, "is not a go build")
	case len(others) > 0:
		c.ruleFromCmd(key, strings.Join(others, " && "), "runs more than go build")
	}
}

// ruleFromCmd makes a [[rule]] running line for the files air watched
// besides Go files.
func (c *converter) ruleFromCmd(key, line, why string) {
	var match []string
	for _, g := range c.includeGlobs() {
		if doublestar.ValidatePattern(g) { // a bad one gets its line from watch.include's
			match = append(match, g)
		}
	}
	if len(match) == 0 {
		match = []string{"**/*.go"}
	}
	c.cfg.Rules = append(c.cfg.Rules, config.Rule{Match: match, Run: line, Shell: true})
	c.note(key, "%s: golive builds the main package itself, and %q became a [[rule]] for %s", why, line, strings.Join(match, ", "))
}

// valueFlags are the go build flags that take a value.
var valueFlags = []string{"-o", "-p", "-C", "-asmflags", "-buildmode", "-compiler", "-gccgoflags", "-gcflags", "-installsuffix", "-ldflags", "-mod", "-modfile", "-overlay", "-pgo", "-pkgdir", "-tags", "-toolexec", "-covermode", "-coverpkg", "-exec"}

func (c *converter) goBuild(key string, cmd command) {
	for _, kv := range cmd.env {
		if c.cfg.Build.Env == nil {
			c.cfg.Build.Env = map[string]string{}
		}
		c.cfg.Build.Env[kv[0]] = kv[1]
	}
	args := cmd.args[2:]
	var pkgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			pkgs = append(pkgs, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.Replace(a, "--", "-", 1), "=")
		if !hasValue && slices.Contains(valueFlags, name) && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}
		switch name {
		case "-o":
			c.outputs = append(c.outputs, value)
		case "-tags":
			c.cfg.Build.Tags = append(c.cfg.Build.Tags, strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' })...)
		case "-ldflags":
			c.cfg.Build.LDFlags = value
		default:
			if hasValue {
				a = name + "=" + value
			}
			c.cfg.Build.Flags = append(c.cfg.Build.Flags, a)
		}
	}
	switch {
	case len(pkgs) == 1:
		c.cfg.Build.Package = pkgs[0]
	case len(pkgs) > 1:
		c.cfg.Build.Package = pkgs[0]
		c.note(key, "golive builds one main package; build.package = %q, %s left out", pkgs[0], strings.Join(pkgs[1:], " "))
	}
}

// includeGlobs are the non-Go files air watched, as golive's globs:
// include_ext under include_dir (or everywhere), and include_file (each
// the one file air means, fileGlob). air's directories and files are
// paths, not globs: their glob characters are escaped.
func (c *converter) includeGlobs() []string {
	exts, _ := c.strs("build.include_ext")
	dirs, _ := c.strs("build.include_dir")
	files, _ := c.strs("build.include_file")
	var globs []string
	for _, ext := range exts {
		if ext == "go" || ext == "" {
			continue
		}
		if ext != "*" {
			ext = "*." + ext
		}
		if len(dirs) == 0 {
			globs = append(globs, "**/"+ext)
		}
		for _, d := range dirs {
			globs = append(globs, globMeta.Replace(strings.TrimSuffix(d, "/"))+"/**/"+ext)
		}
	}
	for _, f := range files {
		if strings.TrimSpace(f) != "" { // air matches no file with it
			globs = append(globs, fileGlob(f))
		}
	}
	return globs
}

func (c *converter) watch() {
	c.cfg.Watch.Include = append(c.cfg.Watch.Include, c.includeGlobs()...)
	if exts, ok := c.strs("build.include_ext"); ok && slices.Contains(exts, "*") {
		c.note("build.include_ext", `"*" watches every file: golive watches what the build reads, and **/* in watch.include adds the rest`)
	}
	if dirs, ok := c.strs("build.include_dir"); ok && len(dirs) > 0 {
		c.note("build.include_dir", "golive watches the Go files the build reads wherever they lie; the other extensions under %s went to watch.include", strings.Join(dirs, ", "))
	}
	if dirs, ok := c.strs("build.exclude_dir"); ok {
		for _, d := range dirs {
			if !usableDir(d) {
				c.note("build.exclude_dir", "%q is the whole project; left out", d)
				continue
			}
			if c.hidesRule(d) {
				continue
			}
			c.cfg.Watch.Exclude = append(c.cfg.Watch.Exclude, strings.TrimSuffix(d, "/")+"/**")
		}
	}
	if files, ok := c.strs("build.exclude_file"); ok {
		for _, f := range files {
			// air matches the pattern against the file's path from the
			// root (filepath.Match, whose * stops at "/"), and golive a
			// glob without "/" against the base name at any depth.
			if f != "" && !strings.Contains(f, "/") {
				f = "./" + f
			}
			c.cfg.Watch.Exclude = append(c.cfg.Watch.Exclude, f)
		}
	}
	if res, ok := c.strs("build.exclude_regex"); ok {
		for _, re := range res {
			if re == `_test\.go` || re == `_test.go` {
				continue // golive never builds on a test file
			}
			c.note("build.exclude_regex", "%q: a regular expression has no glob equal; write it in watch.exclude as a glob, unless the build reads those files (a rule's output, such as templ's _templ.go, must stay watched, and starts no build of its own)", re)
		}
	}
	if _, ok := c.boolean("build.exclude_unchanged"); ok {
		c.note("build.exclude_unchanged", "golive always ignores a save that changed no byte; nothing to set")
	}
	if _, ok := c.boolean("build.follow_symlink"); ok {
		c.note("build.follow_symlink", "golive follows symlinked directories once, always; nothing to set")
	}
	if b, ok := c.boolean("build.ignore_dangerous_root_dir"); ok {
		c.cfg.Watch.AllowRoot = b
	}
	if b, ok := c.boolean("build.poll"); ok {
		c.cfg.Watch.Poll = b
	}
	if ms, ok := c.integer("build.poll_interval"); ok && ms > 0 {
		c.cfg.Watch.Interval = config.Duration(max(time.Duration(ms)*time.Millisecond, 10*time.Millisecond))
	}
	if ms, ok := c.integer("build.delay"); ok && ms >= 0 {
		c.cfg.Watch.Debounce = config.Duration(time.Duration(ms) * time.Millisecond)
	}
	if _, ok := c.str("build.log"); ok {
		c.note("build.log", "golive writes no log file; --events FILE writes its events as JSON lines")
	}
}

func (c *converter) stop() {
	if b, ok := c.boolean("build.send_interrupt"); ok && b {
		c.cfg.Run.StopSignal = "SIGINT"
	} else if ok {
		c.note("build.send_interrupt", "false: air kills the program at once; golive sends SIGTERM and waits run.stop_timeout, which is gentler (run.stop_signal = \"SIGKILL\" is air's way)")
	}
	if v, ok := c.get("build.kill_delay"); ok {
		if d, err := killDelay(v); err != nil {
			c.note("build.kill_delay", "%v; left out", err)
		} else if d > 0 {
			c.cfg.Run.StopTimeout = config.Duration(d)
		}
	}
	if b, ok := c.boolean("build.stop_on_error"); ok && b {
		c.note("build.stop_on_error", "golive keeps the old program serving when a build fails; it has no setting to stop it")
	}
	if b, ok := c.boolean("build.rerun"); ok && b {
		c.cfg.Run.Restart = "always"
	}
	if _, ok := c.integer("build.rerun_delay"); ok {
		c.note("build.rerun_delay", "golive restarts with a back-off of its own (docs/supervision.md); left out")
	}
}

// killDelay reads air's kill_delay: a duration string, or an integer of
// nanoseconds, which air takes as milliseconds when it is below one
// millisecond's worth (kill_delay = 500).
func killDelay(v any) (time.Duration, error) {
	switch d := v.(type) {
	case int64:
		if time.Duration(d) < time.Millisecond {
			return time.Duration(d) * time.Millisecond, nil
		}
		return time.Duration(d), nil
	case string:
		return time.ParseDuration(d)
	}
	return 0, fmt.Errorf("want a duration or an integer, got %T", v)
}

func (c *converter) proxy() {
	enabled, _ := c.boolean("proxy.enabled")
	proxyPort, hasProxy := c.integer("proxy.proxy_port")
	appPort, hasApp := c.integer("proxy.app_port")
	switch {
	case enabled && (!validPort(proxyPort) || !validPort(appPort)):
		c.note("proxy", "proxy_port %d or app_port %d is no port; left out", proxyPort, appPort)
	case enabled && hasProxy && hasApp:
		c.cfg.Proxy.Listen = "127.0.0.1:" + strconv.FormatInt(proxyPort, 10)
		c.cfg.Proxy.Target = "http://127.0.0.1:" + strconv.FormatInt(appPort, 10)
	case enabled:
		c.note("proxy.enabled", "needs proxy_port and app_port; left out")
	}
	if ms, ok := c.integer("proxy.app_start_timeout"); ok && ms > 0 {
		c.cfg.Proxy.Wait = config.Duration(time.Duration(ms) * time.Millisecond)
	}
}

// output maps [color], [log], [screen] and [misc] where golive has an
// equal.
func (c *converter) output() {
	if mode, ok := c.str("color.mode"); ok {
		switch mode {
		case "always", "auto", "never":
			c.cfg.Log.Color = mode
		default:
			c.note("color.mode", "%q is not always, auto or never; left out", mode)
		}
	}
	for _, k := range []string{"color.main", "color.watcher", "color.build", "color.runner", "color.app"} {
		if c.has(k) {
			c.note(k, "golive's colours are its own (NO_COLOR and log.color turn them off); left out")
		}
	}
	for k, why := range map[string]string{
		"log.time":                "golive's lines carry no time; --events FILE has one per event",
		"log.main_only":           "golive's own lines stay; log.format = \"json\" with --events separates them",
		"log.silent":              "golive has no silent mode; left out",
		"screen.clear_on_rebuild": "golive never clears the terminal; left out",
		"screen.keep_scroll":      "golive never clears the terminal; nothing to keep",
		"misc.clean_on_exit":      "golive always removes its work directory when it exits; nothing to set",
		"misc.startup_banner":     "golive prints no banner; left out",
	} {
		if c.has(k) {
			c.note(k, "%s", why)
		}
	}
}

// unknown notes every key air does not read: air ignores it silently
// (a typo, or a key under the wrong table). A table air does not know
// is one note, not one for each of its keys.
func (c *converter) unknown() {
	var noted []string
	for _, k := range c.ix.keys {
		if c.done[k] || tables[k] || known(k) {
			continue
		}
		if slices.ContainsFunc(noted, func(t string) bool { return strings.HasPrefix(k, t+".") }) {
			continue
		}
		noted = append(noted, k)
		c.note(k, "air does not read this key and ignores it%s; left out", elsewhere(k))
	}
}

// elsewhere names the table where air would read k's last part, if one.
func elsewhere(k string) string {
	name := k[strings.LastIndexByte(k, '.')+1:]
	for _, table := range []string{"", "build", "color", "log", "misc", "screen", "proxy"} {
		if slices.Contains(airKeys[table], name) && !tables[name] {
			if table == "" {
				return fmt.Sprintf(" (air reads %s at the top, before any table)", name)
			}
			return fmt.Sprintf(" (air reads %s in [%s])", name, table)
		}
	}
	return " (a typo?)"
}

// usableDir reports whether an air directory names part of the project,
// not all of it.
func usableDir(d string) bool {
	d = strings.Trim(strings.TrimSpace(d), "/")
	return d != "" && d != "."
}

func validPort(p int64) bool { return p > 0 && p < 65536 }

// dropBadGlobs notes and leaves out the watch globs golive cannot read
// (a rule's are checked where it is made), and the second of two equal
// ones (tmp_dir's tmp/** and exclude_dir's "tmp").
func (c *converter) dropBadGlobs() {
	keep := func(key string, globs []string) []string {
		var out []string
		for _, g := range globs {
			switch {
			case slices.Contains(out, g):
			case doublestar.ValidatePattern(g) && g != "":
				out = append(out, g)
			default:
				c.notes = append(c.notes, Note{Key: key, Line: c.ix.line(key), Why: fmt.Sprintf("%q is no glob golive can read; left out", g)})
			}
		}
		return out
	}
	c.cfg.Watch.Include = keep("build.include_ext", c.cfg.Watch.Include) // directories and files are escaped
	c.cfg.Watch.Exclude = keep("build.exclude_file", c.cfg.Watch.Exclude)
}
