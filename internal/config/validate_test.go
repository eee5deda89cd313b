package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/ready"
	"github.com/golive-dev/golive/internal/signals"
)

func TestValidateDefault(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateFlags covers values set after Load, by flags: the error names
// the key, has no file or line, and carries the key for cmd/golive to map
// back to its flag.
func TestValidateFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     func(*Config)
		key     string
		wantErr string
	}{
		{"glob", func(c *Config) { c.Watch.Exclude = []string{"a", "b/[c"} }, "watch.exclude[1]", `watch.exclude[1]: bad glob "b/[c"`},
		{"debounce", func(c *Config) { c.Watch.Debounce = Duration(-time.Millisecond) }, "watch.debounce", `watch.debounce: negative duration "-1ms"`},
		{"env", func(c *Config) { c.Run.Env = map[string]string{"": "x"} }, `run.env.""`, `run.env: bad variable name ""`},
		{"env value", func(c *Config) { c.Build.Env = map[string]string{"A": "x\x00"} }, "build.env.A", `build.env.A: value holds a NUL byte`},
		{"signal", func(c *Config) { c.Run.StopSignal = "SIGSTOP" }, "run.stop_signal", `run.stop_signal: unknown signal "SIGSTOP" (want one of ` + signalList + `)`},
		{"empty signal", func(c *Config) { c.Run.StopSignal = "" }, "run.stop_signal", `run.stop_signal: unknown signal "" (want one of ` + signalList + `)`},
		{"restart", func(c *Config) { c.Run.Restart = "Always" }, "run.restart", `run.restart: bad value "Always" (want "never", "on-failure" or "always")`},
		{"ready scheme", func(c *Config) { c.Run.Ready = "udp://127.0.0.1:53" }, "run.ready", `run.ready: bad address "udp://127.0.0.1:53" (want "tcp://host:port" or "http://host:port/path")`},
		{"ready path", func(c *Config) { c.Run.Ready = "tcp://127.0.0.1:80/x" }, "run.ready", `run.ready: bad address "tcp://127.0.0.1:80/x" (want "tcp://host:port" or "http://host:port/path")`},
		{"ready host", func(c *Config) { c.Run.Ready = "http:///health" }, "run.ready", `run.ready: bad address "http:///health" (want "tcp://host:port" or "http://host:port/path")`},
		{"ready host name", func(c *Config) { c.Run.Ready = "http://app.test/health" }, "run.ready", `run.ready "http://app.test/health": host must be an IP address or localhost (golive checks the program on this machine)`},
		{"ready https", func(c *Config) { c.Run.Ready = "https://localhost/health" }, "run.ready", `run.ready "https://localhost/health": https is not checked; use "tcp://host:port" for a TLS server's port`},
		{"ready ipv6 without brackets", func(c *Config) { c.Run.Ready = "tcp://::1:8080" }, "run.ready", `run.ready "tcp://::1:8080": an IPv6 address must be in brackets, as in tcp://[::1]:8080`},
		{"max reloads", func(c *Config) { c.Plugins.MaxReloads = -5 }, "plugins.max_reloads", `plugins.max_reloads: negative count -5`},
		{"proxy listen", func(c *Config) { c.Proxy.Listen = "8090" }, "proxy.listen", `proxy.listen: bad address "8090" (want host:port, e.g. "127.0.0.1:8090")`},
		{"debug listen", func(c *Config) { c.Run.DebugListen = "2345" }, "run.debug_listen", `run.debug_listen: bad address "2345" (want host:port, e.g. "127.0.0.1:2345")`},
		{"proxy port", func(c *Config) { c.Proxy.Listen = "localhost:http" }, "proxy.listen", `proxy.listen: bad port "http" in "localhost:http"`},
		{"proxy target", func(c *Config) { c.Proxy.Target = "127.0.0.1:8080" }, "proxy.target", `proxy.target: bad URL "127.0.0.1:8080" (want "http://host:port", or "off")`},
		{"proxy editor", func(c *Config) { c.Proxy.Editor = "vscode://file" }, "proxy.editor", `proxy.editor: pattern "vscode://file" has no {path}`},
		{"proxy glob", func(c *Config) { c.Proxy.ReloadOnly = []string{"static/[x"} }, "proxy.reload_only[0]", `proxy.reload_only[0]: bad glob "static/[x"`},
		{"poll interval", func(c *Config) { c.Watch.Interval = Duration(time.Millisecond) }, "watch.poll_interval", `watch.poll_interval: 1ms is too short to poll with (at least 10ms)`},
		{"watch mode", func(c *Config) { c.Watch.Mode = "dirs" }, "watch.mode", `watch.mode: bad value "dirs" (want "graph" or "tree")`},
		{"color", func(c *Config) { c.Log.Color = "" }, "log.color", `log.color: bad value "" (want "auto", "always" or "never")`},
		// The first mistake in file order wins.
		{"first", func(c *Config) { c.Log.Format = "x"; c.Watch.Include = []string{""} }, "watch.include[0]", `watch.include[0]: empty glob`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.set(&c)
			err := c.Validate()
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want an *Error", err)
			}
			if err.Error() != tt.wantErr || ve.Key != tt.key {
				t.Errorf("Validate():\n got %s (key %s)\nwant %s (key %s)", err, ve.Key, tt.wantErr, tt.key)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*Config){
		"tcp":                    func(c *Config) { c.Run.Ready = "tcp://127.0.0.1:8080" },
		"tcp any":                func(c *Config) { c.Run.Ready = "tcp://:8080" },
		"tcp ipv6":               func(c *Config) { c.Run.Ready = "tcp://[::1]:8080" },
		"localhost":              func(c *Config) { c.Run.Ready = "http://localhost:3000/" },
		"query":                  func(c *Config) { c.Run.Ready = "http://localhost/health?deep=1" },
		"zero":                   func(c *Config) { c.Watch.Debounce, c.Run.StopTimeout = 0, 0 },
		"globs":                  func(c *Config) { c.Watch.Include = []string{"**/*.tmpl", "{a,b}/*.sql", "[a-z]*.txt"} },
		"a signal in lower case": func(c *Config) { c.Run.StopSignal = "quit" },
	}
	for name, set := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			set(&c)
			if err := c.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestValidateNormalises(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"SIGTERM": "SIGTERM", "term": "SIGTERM", "sigint": "SIGINT", "Hup": "SIGHUP",
		"QUIT": "SIGQUIT", "SigKill": "SIGKILL", " SIGQUIT ": "SIGQUIT",
	} {
		c := Default()
		c.Run.StopSignal = in
		if err := c.Validate(); err != nil || c.Run.StopSignal != want {
			t.Errorf("stop_signal %q → %q, %v; want %q", in, c.Run.StopSignal, err, want)
		}
	}

	c := Default()
	c.Watch.Include, c.Run.Env = []string{}, map[string]string{}
	if err := c.Validate(); err != nil || c.Watch.Include != nil || c.Run.Env != nil {
		t.Errorf("empty list and table not made nil: %#v %#v, %v", c.Watch.Include, c.Run.Env, err)
	}
}

// signalList is how an error lists the signals golive can send here.
var signalList = strings.Join(signals.Names(), ", ")

// TestSignalsAreTheSupervisorsOwn: run.stop_signal takes exactly the
// names package signals has for this system, the ones the supervisor can
// send, in any spelling, and refuses others with that list.
func TestSignalsAreTheSupervisorsOwn(t *testing.T) {
	t.Parallel()
	for _, name := range signals.Names() {
		c := Default()
		c.Run.StopSignal = strings.ToLower(strings.TrimPrefix(name, "SIG"))
		if err := c.Validate(); err != nil || c.Run.StopSignal != name {
			t.Errorf("stop_signal %q: %v, normalised to %q", name, err, c.Run.StopSignal)
		}
		if _, err := signals.Parse(c.Run.StopSignal); err != nil {
			t.Errorf("the supervisor cannot send %q, which the config took: %v", c.Run.StopSignal, err)
		}
	}
	c := Default()
	c.Run.StopSignal = "SIGWINCH"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), strings.Join(signals.Names(), ", ")) {
		t.Errorf("SIGWINCH: %v, want a refusal listing %v", err, signals.Names())
	}
}

// TestReadyIsTheChecksOwn: run.ready takes exactly what the readiness
// check can check (ready.Parse), whatever the value.
func TestReadyIsTheChecksOwn(t *testing.T) {
	t.Parallel()
	for _, v := range []string{
		"tcp://127.0.0.1:8080", "tcp://:8080", "tcp://[::1]:8080", "tcp://localhost", "tcp://127.0.0.1:80/x",
		"http://localhost:3000/", "http://127.0.0.1/health?deep=1", "http:///health", "https://localhost/",
		"udp://127.0.0.1:53", "localhost:8080", "tcp://db:5432", "tcp://::1:8080", "tcp://127.0.0.1:99999",
		"tcp://[fe80::1%25eth0]:80", "http://app.test/",
	} {
		c := Default()
		c.Run.Ready = v
		cfgErr := c.Validate()
		_, checkErr := ready.Parse(v)
		if (cfgErr == nil) != (checkErr == nil) {
			t.Errorf("run.ready %q: the config says %v, the check says %v", v, cfgErr, checkErr)
		}
	}
}

func TestProxyTarget(t *testing.T) {
	t.Parallel()
	tests := []struct{ target, ready, want string }{
		{"", "", ""},
		{"", "tcp://127.0.0.1:8080", ""},
		{"", "http://127.0.0.1:8080/health", "http://127.0.0.1:8080"},
		{"", "http://localhost/", "http://localhost"},
		{"http://127.0.0.1:3000", "http://127.0.0.1:8080/health", "http://127.0.0.1:3000"},
		{"off", "http://127.0.0.1:8080/health", ""},
	}
	for _, tt := range tests {
		c := Default()
		c.Proxy.Target, c.Run.Ready = tt.target, tt.ready
		if got := c.ProxyTarget(); got != tt.want {
			t.Errorf("target %q, ready %q: ProxyTarget() = %q, want %q", tt.target, tt.ready, got, tt.want)
		}
	}
}
