package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseErrors pins every message and line a user can meet: the line
// must be the key's even when it sits under a [table] header, in a dotted
// key, in an inline table or in a multi-line array.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		// Unknown keys.
		{"top level", "stdin = true\n", `.reload.toml:1: unknown key "stdin" (did you mean "run.stdin"?)`},
		{"in table", "[watch]\ninclude = []\n\n# a comment\n\n\ndebounse = \"1s\"\n", `.reload.toml:7: unknown key "watch.debounse" (did you mean "watch.debounce"?)`},
		{"dotted", "[run]\nstdin = true\n\nlog.formt = \"json\"\n", `.reload.toml:4: unknown key "run.log"`},
		{"dotted top level", "\nlog.formt = \"json\"\n", `.reload.toml:2: unknown key "log.formt" (did you mean "log.format"?)`},
		{"dotted under map", "[build]\nenv.FOO = \"x\"\nflag = []\n", `.reload.toml:3: unknown key "build.flag" (did you mean "build.flags"?)`},
		{"table", "[watch]\n[wach]\ninclude = []\n", `.reload.toml:2: unknown table "wach" (did you mean "watch"?)`},
		{"table wrong case", "[Log]\n", `.reload.toml:1: unknown table "Log" (did you mean "log"?)`},
		{"sub-table", "[run.ready]\n", `.reload.toml:1: run.ready: want a string, got a table`},
		{"inline table", "watch = { include = [], debounse = \"1s\" }\n", `.reload.toml:1: unknown key "watch.debounse" (did you mean "watch.debounce"?)`},
		{"no suggestion", "[log]\nzzzzzz = 1\n", `.reload.toml:2: unknown key "log.zzzzzz"`},
		{"counted", "a = 1\n[watch]\nb = 2\nc = 3\n", `.reload.toml:1: unknown key "a" (and 2 more errors)`},
		{"quoted key", "[run]\n\"a b\" = 1\n", `.reload.toml:2: unknown key "run.\"a b\""`},

		// Wrong types.
		{"string for array", "[build]\nflags = \"-race\"\n", `.reload.toml:2: build.flags: want an array of strings, got a string`},
		{"array element", "[build]\nflags = [\n  \"-race\",\n  2,\n]\n", `.reload.toml:4: build.flags[1]: want a string, got an integer`},
		{"bool", "build.debug = \"yes\"\n", `.reload.toml:1: build.debug: want a boolean, got a string`},
		{"integer", "[plugins]\nmax_reloads = 1.5\n", `.reload.toml:2: plugins.max_reloads: want an integer, got a float`},
		{"map as array", "[run]\nenv = [\"A=1\"]\n", `.reload.toml:2: run.env: want a table of strings, got an array`},
		{"map value", "[run.env]\nA = 1\n", `.reload.toml:2: run.env.A: want a string, got an integer`},
		{"table as string", "log = \"json\"\n", `.reload.toml:1: log: want a table, got a string`},
		{"array of tables", "[[watch]]\n", `.reload.toml:1: watch: want a table, got an array of tables`},
		{"dotted through string", "build.package.x = 1\n", `.reload.toml:1: build.package: want a string, got a table`},
		{"date", "[run]\nready = 2024-01-02\n", `.reload.toml:2: run.ready: want a string, got a date`},

		// Rules.
		{"rule unknown key", "[[rule]]\nmatch = [\"*.templ\"]\n[[rule]]\nmatch = [\"*.sql\"]\nthem = \"none\"\n", `.reload.toml:5: unknown key "rule[1].them" (did you mean "rule[1].then"?)`},
		{"rule as table", "[rule]\nmatch = []\n", `.reload.toml:1: rule: want an array of tables, got a table`},
		{"rule then", "[[rule]]\nmatch = [\"*.templ\"]\nthen = \"build\"\n", `.reload.toml:3: rule[0].then: bad value "build" (want "rebuild", "restart", "reload" or "none")`},
		{"rule without match", "[[rule]]\nrun = [\"make\"]\n", `.reload.toml:1: rule[0].match: a rule needs at least one glob`},
		{"rule run type", "[[rule]]\nmatch = [\"*.x\"]\nrun = 3\n", `.reload.toml:3: rule[0].run: want a string or an array of strings, got an integer`},
		{"rule run element", "[[rule]]\nmatch = [\"*.x\"]\nrun = [\"a\", 1]\n", `.reload.toml:3: rule[0].run[1]: want a string, got an integer`},
		{"rule shell syntax", "[[rule]]\nmatch = [\"*.x\"]\nrun = \"a && b\"\n", `.reload.toml:3: rule[0].run: "a && b" holds shell syntax: set shell = true, or write the command as an array`},
		{"rule shell array", "[[rule]]\nmatch = [\"*.x\"]\nrun = [\"a\"]\nshell = true\n", `.reload.toml:3: rule[0].run: shell = true wants run as one string, not an array`},
		{"rule inline", "rule = [{ match = [\"*.x\"], runn = \"a\" }]\n", `.reload.toml:1: unknown key "rule[0].runn" (did you mean "rule[0].run"?)`},
		{"process without name", "[[process]]\nrun = [\"x\"]\n", `.reload.toml:1: process[0].name: needs a name: it prefixes every line it writes`},
		{"process twice", "[[process]]\nname = \"css\"\nrun = [\"x\"]\n[[process]]\nname = \"css\"\nrun = [\"y\"]\n", `.reload.toml:5: process[1].name: "css" is the name of another process or service`},
		{"process without run", "[[process]]\nname = \"css\"\n", `.reload.toml:1: process[0].run: needs a command`},
		{"process restart", "[[process]]\nname = \"q\"\nrun = \"worker\"\nrestart = \"sometimes\"\n", `.reload.toml:4: process[0].restart: bad value "sometimes" (want "never", "on-failure" or "always")`},
		{"service without package", "[[service]]\nname = \"api\"\n", `.reload.toml:1: service[0].package: a service needs its main package, e.g. "./cmd/api"`},
		{"service after unknown", "[[service]]\nname = \"api\"\npackage = \"./api\"\nafter = [\"db\"]\n", `.reload.toml:4: service[0].after[0]: "db" is no service`},
		{"service cycle", "[[service]]\nname = \"a\"\npackage = \"./a\"\nafter = [\"b\"]\n[[service]]\nname = \"b\"\npackage = \"./b\"\nafter = [\"a\"]\n", `.reload.toml:4: service[0].after[0]: "a" waits for "b", which waits for it`},
		{"services and build.package", "build.package = \"./x\"\n[[service]]\nname = \"a\"\npackage = \"./a\"\n", `.reload.toml:1: build.package: names one program; with [[service]] blocks each names its own package`},
		{"services and debug", "[run]\ndebug = true\n[[service]]\nname = \"a\"\npackage = \"./a\"\n", `.reload.toml:2: run.debug: runs one program under delve; with [[service]] blocks there are several`},
		{"proxy.service unknown", "proxy.service = \"web\"\n[[service]]\nname = \"a\"\npackage = \"./a\"\n", `.reload.toml:1: proxy.service: "web" is no service`},
		{"empty before", "[build]\nbefore = [\"templ generate\", \" \"]\n", `.reload.toml:2: build.before[1]: empty command`},

		// Durations.
		{"bad duration", "[run]\nstop_signal = \"SIGINT\"\nstop_timeout = \"5 sec\"\n", `.reload.toml:3: run.stop_timeout: bad duration "5 sec" (want e.g. "5s", "150ms")`},
		{"bare number", "watch.debounce = 20\n", `.reload.toml:1: watch.debounce: want a duration string like "5s" or "150ms", got an integer`},
		{"negative duration", "[run]\n\nstop_timeout = \"-1s\"\n", `.reload.toml:3: run.stop_timeout: negative duration "-1s"`},
		{"negative commands timeout", "[build]\ncommands_timeout = \"-1s\"\n", `.reload.toml:2: build.commands_timeout: negative duration "-1s"`},

		// Values Validate refuses, located through the key index.
		{"signal", "[run]\nargs = []\nstop_signal = \"SIGFOO\"\n", `.reload.toml:3: run.stop_signal: unknown signal "SIGFOO" (want one of ` + signalList + `)`},
		{"signal dotted", "\n\nrun.stop_signal = \"TERMINATE\"\n", `.reload.toml:3: run.stop_signal: unknown signal "TERMINATE" (want one of ` + signalList + `)`},
		{"glob", "[watch]\nexclude = [\n  \"tmp/**\",\n  \"web/[\",\n]\n", `.reload.toml:4: watch.exclude[1]: bad glob "web/["`},
		{"empty glob", "watch.include = [\"\"]\n", `.reload.toml:1: watch.include[0]: empty glob`},
		{"restart", "[run]\nrestart = \"sometimes\"\n", `.reload.toml:2: run.restart: bad value "sometimes" (want "never", "on-failure" or "always")`},
		{"format", "[log]\ncolor = \"never\"\nformat = \"yaml\"\n", `.reload.toml:3: log.format: bad value "yaml" (want "text" or "json")`},
		{"color", "log = { color = \"yes\" }\n", `.reload.toml:1: log.color: bad value "yes" (want "auto", "always" or "never")`},
		{"ready", "[run]\nready = \"localhost:8080\"\n", `.reload.toml:2: run.ready: bad address "localhost:8080" (want "tcp://host:port" or "http://host:port/path")`},
		{"ready without port", "[run]\nready = \"tcp://localhost\"\n", `.reload.toml:2: run.ready: bad address "tcp://localhost" (want "tcp://host:port" or "http://host:port/path")`},
		{"ready host name", "[run]\nstop_signal = \"SIGINT\"\nready = \"tcp://db:5432\"\n", `.reload.toml:3: run.ready "tcp://db:5432": host must be an IP address or localhost (golive checks the program on this machine)`},
		{"ready bad port", "run.ready = \"http://127.0.0.1:65536/health\"\n", `.reload.toml:1: run.ready "http://127.0.0.1:65536/health": bad port "65536"`},
		{"max reloads", "[plugins]\nmax_reloads = -1\n", `.reload.toml:2: plugins.max_reloads: negative count -1`},
		{"env name", "[build.env]\nGOOS = \"linux\"\n\"A=B\" = \"1\"\n", `.reload.toml:3: build.env: bad variable name "A=B"`},
		{"empty package", "[plugins]\npackages = [\"./greeter\", \" \"]\n", `.reload.toml:2: plugins.packages[1]: empty package path`},

		// What go-toml itself refuses.
		{"syntax", "[build]\n\nflags = [\"-race\" \"-v\"]\n", `.reload.toml:3: syntax error: expected ',' or ']' after array value`},
		{"syntax at end", "[build]\n\nflags = [\n", `.reload.toml:3: syntax error: array is incomplete`},
		{"duplicate key", "[log]\nformat = \"text\"\nformat = \"json\"\n", `.reload.toml:3: key format is already defined`},
		{"duplicate table", "[log]\n[watch]\n[log]\n", `.reload.toml:3: table log already exists`},
		{"too large", "[plugins]\nmax_reloads = 99999999999999999999\n", `.reload.toml:2: decimal number is too large to fit in a 64-bit signed integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(".reload.toml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// fullDoc sets every key away from its default, mixing the ways TOML can
// spell a key: headers, dotted keys and inline tables.
const fullDoc = `
log.format = "json"
log.color = "never"
log.verbose = true

[watch]
include = ["**/*.tmpl", "*.sql"]
exclude = ["vendor/**"]
debounce = "0"
mode = "tree"
poll = true
poll_interval = "2s"
allow_root = true
gitignore = false

[build]
package = "./cmd/server"
flags = ["-race", "-trimpath"]
tags = ["dev"]
ldflags = "-X main.version=dev"
env = { CGO_ENABLED = "0" }
debug = true
replay = false
before = ["templ generate"]
after = ["echo built"]
commands_timeout = "30s"

[run]
args = ["-port", "8080"]
env.PORT = "8080"
env."DATABASE_URL" = "postgres://localhost/dev"
env_file = ".env"
stop_signal = "int"
stop_timeout = "1m30s"
restart = "on-failure"
ready = "http://127.0.0.1:8080/health"
stdin = true
debug = true
debug_listen = "127.0.0.1:40000"
before_start = ["./migrate up"]
before_start_timeout = "0"

[plugins]
packages = ["./greeter"]
max_reloads = 0

[proxy]
listen = ":9000"
target = "http://127.0.0.1:8081"
reload_only = ["static/**"]
editor = "goland://open?file={path}&line={line}"
wait = "3s"

[[rule]]
match = ["**/*.templ"]
run = ["templ", "generate"]

[[rule]]
match = ["db/*.sql"]
run = "sqlc generate && echo done"
shell = true
then = "none"
timeout = "10s"

[[process]]
name = "css"
run = ["tailwindcss", "--watch"]
env = { NODE_ENV = "development" }
dir = "web"
restart = "always"
ready = "tcp://127.0.0.1:3000"
watch = ["tailwind.config.js"]
stop_signal = "int"
stop_timeout = "2s"
`

func fullConfig() Config {
	return Config{
		Watch: Watch{Include: []string{"**/*.tmpl", "*.sql"}, Exclude: []string{"vendor/**"}, Debounce: 0, Mode: "tree", Poll: true, Interval: Duration(2 * time.Second), AllowRoot: true},
		Build: Build{
			Package:         "./cmd/server",
			Flags:           []string{"-race", "-trimpath"},
			Tags:            []string{"dev"},
			LDFlags:         "-X main.version=dev",
			Env:             map[string]string{"CGO_ENABLED": "0"},
			Debug:           true,
			Before:          []string{"templ generate"},
			After:           []string{"echo built"},
			CommandsTimeout: Duration(30 * time.Second),
		},
		Run: Run{
			Args:               []string{"-port", "8080"},
			Env:                map[string]string{"PORT": "8080", "DATABASE_URL": "postgres://localhost/dev"},
			EnvFile:            ".env",
			StopSignal:         "SIGINT",
			StopTimeout:        Duration(90 * time.Second),
			Restart:            "on-failure",
			Ready:              "http://127.0.0.1:8080/health",
			Stdin:              true,
			Debug:              true,
			DebugListen:        "127.0.0.1:40000",
			BeforeStart:        []string{"./migrate up"},
			BeforeStartTimeout: 0, // "0": no limit
		},
		Plugins: Plugins{Packages: []string{"./greeter"}, MaxReloads: 0},
		Proxy: Proxy{
			Listen: ":9000", Target: "http://127.0.0.1:8081", ReloadOnly: []string{"static/**"},
			Editor: "goland://open?file={path}&line={line}", Wait: Duration(3 * time.Second),
		},
		Log: Log{Format: "json", Color: "never", Verbose: true},
		Rules: []Rule{
			{Match: []string{"**/*.templ"}, Run: []string{"templ", "generate"}, Then: ThenRebuild, Timeout: RuleTimeout},
			{Match: []string{"db/*.sql"}, Run: "sqlc generate && echo done", Shell: true, Then: ThenNone, Timeout: Duration(10 * time.Second)},
		},
		Processes: []Process{{Name: "css", Run: []string{"tailwindcss", "--watch"}, Env: map[string]string{"NODE_ENV": "development"}, Dir: "web",
			Restart: "always", Ready: "tcp://127.0.0.1:3000", Watch: []string{"tailwind.config.js"}, StopSignal: "SIGINT", StopTimeout: Duration(2 * time.Second)}},
	}
}

func TestParseFull(t *testing.T) {
	t.Parallel()
	got, err := parse(".reload.toml", []byte(fullDoc))
	if err != nil {
		t.Fatal(err)
	}
	if want := fullConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseKeepsDefaults(t *testing.T) {
	t.Parallel()
	got, err := parse(".reload.toml", []byte("[run]\nstdin = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Run.Stdin = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	writeFile(t, good, "[log]\nformat = \"json\"\n")
	writeFile(t, bad, "[log]\nfromat = \"json\"\n")

	c, err := Load(good)
	if err != nil || c.Log.Format != "json" {
		t.Errorf("Load(good) = %+v, %v", c.Log, err)
	}
	_, err = Load(bad)
	if want := bad + `:2: unknown key "log.fromat" (did you mean "log.format"?)`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) error:\n got %v\nwant %s", err, want)
	}
	_, err = Load(filepath.Join(dir, "missing.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}
}

// TestLoadDefaultPath relies on the package directory holding no
// .reload.toml: the default file is optional.
func TestLoadDefaultPath(t *testing.T) {
	t.Parallel()
	c, err := Load("")
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf(`Load("") = %+v, %v; want Default()`, c, err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]Config{"default": Default(), "full": fullConfig()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Encode(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parse("encoded", b)
			if err != nil {
				t.Fatalf("%v in:\n%s", err, b)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("round trip:\n got %+v\nwant %+v\nvia:\n%s", got, c, b)
			}
		})
	}
}

// TestEncodeShowsEveryKey: `golive config` must list keys whose value is
// empty too, or users cannot see that they exist.
func TestEncodeShowsEveryKey(t *testing.T) {
	t.Parallel()
	b, err := Encode(Default())
	if err != nil {
		t.Fatal(err)
	}
	keys, problems := scan(b)
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	for _, k := range leafKeys(configType, "") {
		if _, ok := keys[k]; !ok {
			t.Errorf("Encode(Default()) lacks %s:\n%s", k, b)
		}
	}
	for _, want := range []string{"env = {}", "include = []", "debounce = '10ms'", "stop_timeout = '5s'"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Encode(Default()) lacks %q:\n%s", want, b)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
