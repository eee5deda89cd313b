package config

import (
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/golive-dev/golive/internal/readyaddr"
)

// Signals golive can send to stop the program, in their canonical spelling.
var signals = []string{"SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2"}

var (
	restarts = []string{"never", "on-failure", "always"}
	formats  = []string{"text", "json"}
	colors   = []string{"auto", "always", "never"}
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
	if sig, ok := canonicalSignal(c.Run.StopSignal); ok {
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
	all = append(all, checkEnv("build.env", c.Build.Env))
	all = append(all, checkEnv("run.env", c.Run.Env))
	all = append(all, checkSignal("run.stop_signal", c.Run.StopSignal))
	all = append(all, checkDuration("run.stop_timeout", c.Run.StopTimeout))
	all = append(all, checkOneOf("run.restart", c.Run.Restart, restarts))
	all = append(all, checkReady("run.ready", c.Run.Ready))
	all = append(all, checkPackages("plugins.packages", c.Plugins.Packages))
	all = append(all, checkNotNegative("plugins.max_reloads", c.Plugins.MaxReloads))
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
	if _, ok := canonicalSignal(sig); !ok {
		return keyErr(key, "unknown signal %q (want one of %s)", sig, strings.Join(signals, ", "))
	}
	return nil
}

// canonicalSignal accepts a signal name in any case, with or without the
// SIG prefix, and returns it as "SIGTERM".
func canonicalSignal(name string) (string, bool) {
	s := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(s, "SIG") {
		s = "SIG" + s
	}
	return s, slices.Contains(signals, s)
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

// checkReady accepts what the runner knows how to wait for: a TCP port
// that accepts a connection, or an HTTP URL that answers. The host
// and port follow readyaddr's rule, which the runner applies too; its
// message is the runner's, so a mistake reads the same from either.
func checkReady(key, ready string) *Error {
	if ready == "" {
		return nil
	}
	bad := keyErr(key, `bad address %q (want "tcp://host:port" or "http://host:port/path")`, ready)
	u, err := url.Parse(ready)
	if err != nil || u.Host == "" {
		return bad
	}
	var defaultPort uint16
	switch u.Scheme {
	case "tcp":
		if u.Port() == "" || u.Path != "" || u.RawQuery != "" {
			return bad
		}
	case "http":
		defaultPort = 80
	case "https":
		// The check speaks plain HTTP only (runner/ready.go says why).
		return &Error{Key: key, Msg: fmt.Sprintf(`%s %q: https is not checked; use "tcp://host:port" for a TLS server's port`, key, ready)}
	default:
		return bad
	}
	if _, err := readyaddr.Resolve(u, defaultPort); err != nil {
		return &Error{Key: key, Msg: fmt.Sprintf("%s %q: %v", key, ready, err)}
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
