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
	all = append(all, checkEnv("run.env", c.Run.Env))
	all = append(all, checkSignal("run.stop_signal", c.Run.StopSignal))
	all = append(all, checkDuration("run.stop_timeout", c.Run.StopTimeout))
	all = append(all, checkOneOf("run.restart", c.Run.Restart, restarts))
	all = append(all, checkReady("run.ready", c.Run.Ready))
	all = append(all, checkListen("run.debug_listen", c.Run.DebugListen, Default().Run.DebugListen))
	all = append(all, checkPackages("plugins.packages", c.Plugins.Packages))
	all = append(all, checkNotNegative("plugins.max_reloads", c.Plugins.MaxReloads))
	all = append(all, checkListen("proxy.listen", c.Proxy.Listen, ProxyListen))
	all = append(all, checkTarget("proxy.target", c.Proxy.Target))
	all = append(all, checkGlobs("proxy.reload_only", c.Proxy.ReloadOnly))
	all = append(all, checkEditor("proxy.editor", c.Proxy.Editor))
	all = append(all, checkDuration("proxy.wait", c.Proxy.Wait))
	all = append(all, checkOneOf("log.format", c.Log.Format, formats))
	all = append(all, checkOneOf("log.color", c.Log.Color, colors))
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
