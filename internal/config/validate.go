package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/signals"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/golive-dev/golive/internal/ready"
)

var (
	restarts = []string{"never", "on-failure", "always"}
	formats  = []string{"text", "json"}
	colors   = []string{"auto", "always", "never"}
	modes    = []string{"graph", "tree"}
	thens    = []string{ThenRebuild, ThenRestart, ThenReload, ThenNone}
)

// Validate checks every setting and returns the first mistake as an
// *Error naming its key (Load adds the file and line). It also normalises
// c, which is why it takes a pointer: the stop signal is spelled "SIGTERM"
// however it was written ("term", "sigterm"), and empty lists and tables
// become nil, so settings that mean the same compare equal.
//
// Load calls Validate; cmd/golive calls it again after applying flags, and
// since the file's values already passed, an error then is about a flag.
func (c *Config) Validate() error {
	normalize(reflect.ValueOf(c).Elem())
	if sig, ok := signals.Canonical(c.Run.StopSignal); ok {
		c.Run.StopSignal = sig
	}
	for _, e := range c.problems() {
		if e != nil {
			return e
		}
	}
	return nil
}

// problems lists one check per key, in the order of the example file, so
// the first mistake reported is the first one a reader meets.
func (c *Config) problems() []*Error {
	var all []*Error
	all = append(all, checkGlobs("watch.include", c.Watch.Include))
	all = append(all, checkGlobs("watch.exclude", c.Watch.Exclude))
	all = append(all, checkDuration("watch.debounce", c.Watch.Debounce))
	all = append(all, checkOneOf("watch.mode", c.Watch.Mode, modes))
	all = append(all, checkPollInterval("watch.poll_interval", c.Watch.Interval))
	all = append(all, checkEnv("build.env", c.Build.Env))
	all = append(all, checkCommands("build.before", c.Build.Before))
	all = append(all, checkCommands("build.after", c.Build.After))
	all = append(all, checkDuration("build.commands_timeout", c.Build.CommandsTimeout))
	all = append(all, checkEnv("run.env", c.Run.Env))
	all = append(all, checkSignal("run.stop_signal", c.Run.StopSignal))
	all = append(all, checkDuration("run.stop_timeout", c.Run.StopTimeout))
	all = append(all, checkOneOf("run.restart", c.Run.Restart, restarts))
	all = append(all, checkReady("run.ready", c.Run.Ready))
	all = append(all, checkListen("run.debug_listen", c.Run.DebugListen, Default().Run.DebugListen))
	all = append(all, checkCommands("run.before_start", c.Run.BeforeStart))
	all = append(all, checkDuration("run.before_start_timeout", c.Run.BeforeStartTimeout))
	all = append(all, checkPackages("plugins.packages", c.Plugins.Packages))
	all = append(all, checkNotNegative("plugins.max_reloads", c.Plugins.MaxReloads))
	all = append(all, checkListen("proxy.listen", c.Proxy.Listen, ProxyListen))
	all = append(all, checkTarget("proxy.target", c.Proxy.Target))
	all = append(all, checkGlobs("proxy.reload_only", c.Proxy.ReloadOnly))
	all = append(all, checkEditor("proxy.editor", c.Proxy.Editor))
	all = append(all, checkDuration("proxy.wait", c.Proxy.Wait))
	all = append(all, checkOneOf("log.format", c.Log.Format, formats))
	all = append(all, checkOneOf("log.color", c.Log.Color, colors))
	for i := range c.Rules {
		all = append(all, c.Rules[i].check(indexKey("rule", i))...)
	}
	names := map[string]bool{}
	for i := range c.Processes {
		all = append(all, c.Processes[i].check(indexKey("process", i), c.Run, names)...)
	}
	for i := range c.Services {
		all = append(all, c.Services[i].check(indexKey("service", i), c.Run, names)...)
	}
	all = append(all, c.checkServices()...)
	return all
}

func checkGlobs(key string, globs []string) *Error {
	for i, g := range globs {
		if g == "" {
			return keyErr(indexKey(key, i), "empty glob")
		}
		if !doublestar.ValidatePattern(g) {
			return keyErr(indexKey(key, i), "bad glob %q", g)
		}
	}
	return nil
}

func checkDuration(key string, d Duration) *Error {
	if d < 0 {
		return keyErr(key, "negative duration %q", d.String())
	}
	return nil
}

// checkEnv refuses names the operating system cannot carry: a name with
// "=" would be split at it, and NUL ends the C string.
func checkEnv(key string, env map[string]string) *Error {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return &Error{Key: joinKey(key, name), Msg: fmt.Sprintf("%s: bad variable name %q", key, name)}
		}
		if strings.ContainsRune(env[name], 0) {
			return keyErr(joinKey(key, name), "value holds a NUL byte")
		}
	}
	return nil
}

func checkSignal(key, sig string) *Error {
	if _, ok := signals.Canonical(sig); !ok {
		return keyErr(key, "unknown signal %q (want one of %s)", sig, strings.Join(signals.Names(), ", "))
	}
	return nil
}

func checkOneOf(key, v string, allowed []string) *Error {
	if !slices.Contains(allowed, v) {
		return keyErr(key, "bad value %q (want %s)", v, orList(allowed))
	}
	return nil
}

func orList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// checkReady applies ready.Parse, the rule the check itself follows, so
// a value this accepts is one golive can check.
func checkReady(key, value string) *Error {
	_, err := ready.Parse(value)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ready.ErrShape):
		return keyErr(key, "bad address %q (%v)", value, err)
	}
	return &Error{Key: key, Msg: fmt.Sprintf("%s %q: %v", key, value, err)}
}

// checkListen wants host:port with a numeric port; an empty host means
// every interface.
func checkListen(key, addr, example string) *Error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return keyErr(key, "bad address %q (want host:port, e.g. %q)", addr, example)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return keyErr(key, "bad port %q in %q", port, addr)
	}
	return nil
}

func checkTarget(key, target string) *Error {
	if target == "" || target == "off" {
		return nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return keyErr(key, "bad URL %q (want \"http://host:port\", or \"off\")", target)
	}
	return nil
}

func checkEditor(key, pattern string) *Error {
	if pattern != "" && !strings.Contains(pattern, "{path}") {
		return keyErr(key, "pattern %q has no {path}", pattern)
	}
	return nil
}

func checkPackages(key string, pkgs []string) *Error {
	for i, p := range pkgs {
		if strings.TrimSpace(p) == "" {
			return keyErr(indexKey(key, i), "empty package path")
		}
	}
	return nil
}

func checkNotNegative(key string, v int) *Error {
	if v < 0 {
		return keyErr(key, "negative count %d", v)
	}
	return nil
}

// normalize turns empty slices and maps into nil throughout a struct: a
// file's `include = []` or `env = {}` then equals the default, and tests
// and callers can compare Configs with reflect.DeepEqual.
func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			normalize(v.Field(i))
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 && !v.IsNil() {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// checkPollInterval refuses an interval that would poll without pause.
func checkPollInterval(key string, d Duration) *Error {
	if e := checkDuration(key, d); e != nil {
		return e
	}
	if time.Duration(d) < 10*time.Millisecond {
		return keyErr(key, "%s is too short to poll with (at least 10ms)", d.String())
	}
	return nil
}

func checkCommands(key string, cmds []string) *Error {
	for i, c := range cmds {
		if strings.TrimSpace(c) == "" {
			return keyErr(indexKey(key, i), "empty command")
		}
	}
	return nil
}

// shellSyntax are the characters that mean something to a shell: a run
// string holding one runs only with shell = true.
const shellSyntax = "|&;<>()$`\\\"'*?[]{}~#"

// check checks one [[rule]] block, whose key is key ("rule[0]"), and
// fills in its defaults: then "rebuild", timeout a minute. It makes Run
// a string or a []string, whichever the file wrote.
func (r *Rule) check(key string) []*Error {
	if r.Then == "" {
		r.Then = ThenRebuild
	}
	if r.Timeout == 0 {
		r.Timeout = RuleTimeout
	}
	errs := []*Error{checkGlobs(joinKey(key, "match"), r.Match)}
	if len(r.Match) == 0 {
		errs = append(errs, keyErr(joinKey(key, "match"), "a rule needs at least one glob"))
	}
	errs = append(errs, checkRun(joinKey(key, "run"), &r.Run, r.Shell, true))
	errs = append(errs, checkOneOf(joinKey(key, "then"), r.Then, thens))
	errs = append(errs, checkDuration(joinKey(key, "timeout"), r.Timeout))
	return errs
}

// checkRun checks a command written as argv or as a shell string, and
// makes *run a string or a []string, whichever the file wrote. A rule
// may have none (optional).
func checkRun(key string, run *any, shell, optional bool) *Error {
	switch v := (*run).(type) {
	case nil:
		if shell || !optional {
			return keyErr(key, "needs a command")
		}
	case string:
		switch {
		case strings.TrimSpace(v) == "":
			return keyErr(key, "empty command")
		case !shell && strings.ContainsAny(v, shellSyntax):
			return keyErr(key, "%q holds shell syntax: set shell = true, or write the command as an array", v)
		}
	case []string:
		if len(v) == 0 || v[0] == "" {
			return keyErr(key, "empty command")
		}
		if shell {
			return keyErr(key, "shell = true wants run as one string, not an array")
		}
	case []any: // as go-toml decodes an array into an interface
		argv := make([]string, len(v))
		for i, a := range v {
			s, ok := a.(string)
			if !ok {
				return keyErr(indexKey(key, i), "want a string")
			}
			argv[i] = s
		}
		*run = argv
		return checkRun(key, run, shell, optional)
	default:
		return keyErr(key, "want a string or an array of strings")
	}
	return nil
}

// check checks one [[process]] block, whose key is key ("process[0]"),
// and fills in its defaults from run: restart "on-failure", the stop
// signal and timeout of the program.
func (p *Process) check(key string, run Run, names map[string]bool) []*Error {
	if p.Restart == "" {
		p.Restart = "on-failure"
	}
	stopDefaults(&p.StopSignal, &p.StopTimeout, run)
	errs := []*Error{checkName(joinKey(key, "name"), p.Name, names)}
	errs = append(errs, checkRun(joinKey(key, "run"), &p.Run, p.Shell, false))
	errs = append(errs, checkEnv(joinKey(key, "env"), p.Env))
	errs = append(errs, checkOneOf(joinKey(key, "restart"), p.Restart, restarts))
	errs = append(errs, checkReady(joinKey(key, "ready"), p.Ready))
	errs = append(errs, checkGlobs(joinKey(key, "watch"), p.Watch))
	errs = append(errs, checkSignal(joinKey(key, "stop_signal"), p.StopSignal))
	errs = append(errs, checkDuration(joinKey(key, "stop_timeout"), p.StopTimeout))
	return errs
}

// stopDefaults fills an empty stop signal and timeout from run's, and
// spells the signal as golive does.
func stopDefaults(sig *string, timeout *Duration, run Run) {
	if *sig == "" {
		*sig = run.StopSignal
	}
	if canonical, ok := signals.Canonical(*sig); ok {
		*sig = canonical
	}
	if *timeout == 0 {
		*timeout = run.StopTimeout
	}
}

// checkName wants a process name that is short, plain and its own: it
// prefixes every line the process writes.
func checkName(key, name string, seen map[string]bool) *Error {
	switch {
	case name == "":
		return keyErr(key, "needs a name: it prefixes every line it writes")
	case len(name) > 20 || strings.ContainsAny(name, " \t\n|"):
		return keyErr(key, "%q: a name is at most 20 characters, without spaces or |", name)
	case seen[name]:
		return keyErr(key, "%q is the name of another process or service", name)
	}
	seen[name] = true
	return nil
}

// check checks one [[service]] block and fills in what it leaves empty
// from run: the stop signal and timeout, the restart policy.
func (sv *Service) check(key string, run Run, names map[string]bool) []*Error {
	stopDefaults(&sv.StopSignal, &sv.StopTimeout, run)
	if sv.Restart == "" {
		sv.Restart = run.Restart
	}
	errs := []*Error{checkName(joinKey(key, "name"), sv.Name, names)}
	if strings.TrimSpace(sv.Package) == "" {
		errs = append(errs, keyErr(joinKey(key, "package"), "a service needs its main package, e.g. \"./cmd/api\""))
	}
	errs = append(errs, checkEnv(joinKey(key, "env"), sv.Env))
	errs = append(errs, checkReady(joinKey(key, "ready"), sv.Ready))
	errs = append(errs, checkSignal(joinKey(key, "stop_signal"), sv.StopSignal))
	errs = append(errs, checkDuration(joinKey(key, "stop_timeout"), sv.StopTimeout))
	errs = append(errs, checkOneOf(joinKey(key, "restart"), sv.Restart, restarts))
	return errs
}

// checkServices checks what the services say of each other: after names
// services, with no cycle; the proxy fronts one of them; build.package
// and the services do not both name the program.
func (c *Config) checkServices() []*Error {
	if len(c.Services) == 0 {
		if c.Proxy.Service != "" {
			return []*Error{keyErr("proxy.service", "%q: there are no [[service]] blocks", c.Proxy.Service)}
		}
		return nil
	}
	var errs []*Error
	if c.Build.Package != "" {
		errs = append(errs, keyErr("build.package", "names one program; with [[service]] blocks each names its own package"))
	}
	if c.Run.Debug {
		errs = append(errs, keyErr("run.debug", "runs one program under delve; with [[service]] blocks there are several"))
	}
	if c.Run.Stdin {
		errs = append(errs, keyErr("run.stdin", "forwards golive's stdin to one program; with [[service]] blocks there are several"))
	}
	byName := map[string]*Service{}
	for i := range c.Services {
		byName[c.Services[i].Name] = &c.Services[i]
	}
	for i, sv := range c.Services {
		for j, a := range sv.After {
			if byName[a] == nil {
				errs = append(errs, keyErr(indexKey(joinKey(indexKey("service", i), "after"), j), "%q is no service", a))
			} else if a == sv.Name || reaches(byName, a, sv.Name, map[string]bool{}) {
				errs = append(errs, keyErr(indexKey(joinKey(indexKey("service", i), "after"), j), "%q waits for %q, which waits for it", sv.Name, a))
			}
		}
	}
	if p := c.Proxy.Service; p != "" && byName[p] == nil {
		errs = append(errs, keyErr("proxy.service", "%q is no service", p))
	}
	return errs
}

// reaches reports whether from waits, through after, for to.
func reaches(byName map[string]*Service, from, to string, seen map[string]bool) bool {
	if seen[from] {
		return false
	}
	seen[from] = true
	for _, a := range byName[from].After {
		if a == to || (byName[a] != nil && reaches(byName, a, to, seen)) {
			return true
		}
	}
	return false
}
