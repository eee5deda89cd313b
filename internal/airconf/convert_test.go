package airconf

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/config"
)

// everyKey sets every key air v1.67 documents (air_example.toml and its
// runner/config.go), plus a typo and a key in the wrong table.
const everyKey = `root = "."
tmp_dir = "tmp"
testdata_dir = "testdata"
env_files = [".env", ".env.local"]

[build]
pre_cmd = ["templ generate"]
cmd = "CGO_ENABLED=0 go build -tags 'dev sqlite' -ldflags \"-X main.v=dev\" -race -o ./tmp/main ./cmd/server"
post_cmd = ["echo bye"]
bin = "tmp/main"
entrypoint = ["./tmp/main", "-entry"]
full_bin = "APP_ENV=dev APP_USER=air ./tmp/main -full"
args_bin = ["hello", "world"]
include_ext = ["go", "tpl", "html"]
exclude_dir = ["assets", "tmp", "vendor", "frontend/node_modules"]
include_dir = []
include_file = ["config.yaml"]
exclude_file = ["web/gen.go"]
exclude_regex = ["_test\\.go", "\\.pb\\.go$"]
exclude_unchanged = true
ignore_dangerous_root_dir = false
follow_symlink = true
log = "air.log"
poll = true
poll_interval = 700
delay = 250
stop_on_error = true
send_interrupt = true
kill_delay = 500
rerun = true
rerun_delay = 500
includ_ext = ["css"]

[[build.rules]]
name = "assets"
cmd = "npm run build"
include_dir = ["web"]
include_ext = ["js", "css"]
include_file = []
exclude_regex = ["\\.min\\.js$"]
delay = 1000

[build.windows]
cmd = "go build -o ./tmp/main.exe ."
bin = "tmp\\main.exe"

[build.linux]
args_bin = ["--linux"]

[log]
time = false
main_only = false
silent = false

[color]
main = "magenta"
watcher = "cyan"
build = "yellow"
runner = "green"
mode = "never"

[misc]
clean_on_exit = true
startup_banner = ""

[screen]
clear_on_rebuild = true
keep_scroll = true

[proxy]
enabled = true
proxy_port = 8090
app_port = 8080
app_start_timeout = 3000
poll = true
`

func TestConvertEveryKey(t *testing.T) {
	t.Parallel()
	got, notes, err := Convert([]byte(everyKey), "linux")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Watch.Include = []string{"**/*.tpl", "**/*.html", "config.yaml"}
	want.Watch.Exclude = []string{"tmp/**", "assets/**", "vendor/**", "frontend/node_modules/**", "web/gen.go"}
	want.Watch.Debounce = config.Duration(250 * time.Millisecond)
	want.Watch.Poll = true
	want.Watch.Interval = config.Duration(700 * time.Millisecond)
	want.Build.Package = "./cmd/server"
	want.Build.Flags = []string{"-race"}
	want.Build.Tags = []string{"dev", "sqlite"}
	want.Build.LDFlags = "-X main.v=dev"
	want.Build.Env = map[string]string{"CGO_ENABLED": "0"}
	want.Build.Before = []string{"templ generate"}
	want.Run.EnvFile = ".env"
	want.Run.Args = []string{"-full", "--linux"} // air runs full_bin, not entrypoint
	want.Run.Env = map[string]string{"APP_ENV": "dev", "APP_USER": "air"}
	want.Run.StopSignal = "SIGINT"
	want.Run.StopTimeout = config.Duration(500 * time.Millisecond)
	want.Run.Restart = "always"
	want.Proxy.Listen = "127.0.0.1:8090"
	want.Proxy.Target = "http://127.0.0.1:8080"
	want.Proxy.Wait = config.Duration(3 * time.Second)
	want.Log.Color = "never"
	want.Rules = []config.Rule{{Match: []string{"web/**/*.js", "web/**/*.css"}, Run: "npm run build", Shell: true, Then: config.ThenNone, Timeout: config.RuleTimeout}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("converted:\n got %+v\nwant %+v", got, want)
	}
	var lines []string
	for _, n := range notes {
		lines = append(lines, n.Format(".air.toml"))
	}
	text := strings.Join(lines, "\n")
	for _, w := range []string{
		".air.toml:2: tmp_dir: golive keeps its binary",
		".air.toml:3: testdata_dir: golive never watches testdata",
		".air.toml:4: env_files: golive reads one env file (run.env_file = \".env\"); .env.local left out",
		".air.toml:9: build.post_cmd: golive runs no command when it exits",
		".air.toml:10: build.bin: golive runs the binary it builds itself",
		".air.toml:11: build.entrypoint: air runs full_bin instead and ignores it; left out",
		".air.toml:19: build.exclude_regex: \"\\\\.pb\\\\.go$\": a regular expression has no glob equal",
		".air.toml:20: build.exclude_unchanged: golive always ignores a save that changed no byte",
		".air.toml:22: build.follow_symlink:",
		".air.toml:23: build.log: golive writes no log file",
		".air.toml:27: build.stop_on_error: golive keeps the old program serving",
		".air.toml:31: build.rerun_delay: golive restarts with a back-off",
		".air.toml:13: build.args_bin: [build.linux] replaces it on linux, and golive's settings are the same on every system; left out",
		".air.toml:32: build.includ_ext: air does not read this key and ignores it (a typo?); left out",
		".air.toml:35: build.rules[0].name: golive's [[rule]] has no name",
		".air.toml:40: build.rules[0].exclude_regex:",
		".air.toml:41: build.rules[0].delay:",
		".air.toml:43: build.windows: golive builds alike on every system; the table for windows left out",
		".air.toml:51: log.time:",
		".air.toml:52: log.main_only:",
		".air.toml:53: log.silent:",
		".air.toml:56: color.main:",
		".air.toml:59: color.runner:",
		".air.toml:63: misc.clean_on_exit:",
		".air.toml:64: misc.startup_banner:",
		".air.toml:67: screen.clear_on_rebuild:",
		".air.toml:68: screen.keep_scroll:",
		".air.toml:75: proxy.poll: air does not read this key and ignores it (air reads poll in [build]); left out",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("no note %q in:\n%s", w, text)
		}
	}
	for _, quiet := range []string{"root:", "build.cmd:", "build.pre_cmd", "build.kill_delay", "build.poll:", "proxy.enabled", "build.linux:", "color.mode", "build.full_bin"} {
		if strings.Contains(text, quiet) {
			t.Errorf("a note on %s, which maps as it is:\n%s", quiet, text)
		}
	}
}

// TestConvertBuildCmd: a go build after other commands keeps its flags,
// and the commands before it become a rule over air's other watched
// extensions; a build command that is no go build becomes a rule too.
func TestConvertBuildCmd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc       string
		pkg       string
		rule      string
		ruleMatch []string
	}{
		{"[build]\ncmd = \"templ generate && go build -o ./tmp/main .\"\ninclude_ext = [\"go\", \"templ\"]\n", ".", "templ generate", []string{"**/*.templ"}},
		{"[build]\ncmd = \"make build\"\n", "", "make build", []string{"**/*.go"}},
		{"[build]\ncmd = \"go build -o tmp/main . | tee log\"\n", "", "go build -o tmp/main . | tee log", []string{"**/*.go"}},
	} {
		got, _, err := Convert([]byte(tc.doc), "linux")
		if err != nil {
			t.Fatal(err)
		}
		if got.Build.Package != tc.pkg || len(got.Rules) != 1 || got.Rules[0].Run != tc.rule || !reflect.DeepEqual(got.Rules[0].Match, tc.ruleMatch) || !got.Rules[0].Shell {
			t.Errorf("%q: package %q, rules %+v; want package %q and a rule %q over %v", tc.doc, got.Build.Package, got.Rules, tc.pkg, tc.rule, tc.ruleMatch)
		}
	}
}

// TestKillDelay: air's kill_delay is a duration string or nanoseconds,
// and a number below a millisecond's worth is milliseconds.
func TestKillDelay(t *testing.T) {
	t.Parallel()
	for in, want := range map[any]time.Duration{int64(500): 500 * time.Millisecond, int64(2_000_000_000): 2 * time.Second, "1s": time.Second, "250ms": 250 * time.Millisecond} {
		if got, err := killDelay(in); err != nil || got != want {
			t.Errorf("killDelay(%v) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := killDelay(1.5); err == nil {
		t.Error("killDelay(1.5): no error")
	}
}

// TestConvertOddValues: values golive cannot take are notes, never an
// error or a config that watches nothing.
func TestConvertOddValues(t *testing.T) {
	t.Parallel()
	doc := "tmp_dir = \".\"\n[build]\ncmd = \"\"\nexclude_dir = [\"\", \"tmp\"]\ninclude_file = [\"web/[\"]\n[proxy]\nenabled = true\nproxy_port = 99999\napp_port = 8080\n"
	got, notes, err := Convert([]byte(doc), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Watch.Exclude, []string{"tmp/**"}) || len(got.Watch.Include) != 0 || got.Proxy.Target != "" || len(got.Rules) != 0 {
		t.Errorf("converted: exclude %v, include %v, proxy %+v, rules %v", got.Watch.Exclude, got.Watch.Include, got.Proxy, got.Rules)
	}
	var text []string
	for _, n := range notes {
		text = append(text, n.Format(".air.toml"))
	}
	all := strings.Join(text, "\n")
	for _, w := range []string{`.air.toml:1: tmp_dir: "." is the whole project`, `build.exclude_dir: "" is the whole project`, `build.include_file: "web/[" is no glob`, `proxy: proxy_port 99999 or app_port 8080 is no port`} {
		if !strings.Contains(all, w) {
			t.Errorf("no note %q in:\n%s", w, all)
		}
	}
}

// formatNotes is the notes as golive init --from-air prints them for a
// file named .air.toml.
func formatNotes(notes []Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(n.Format(".air.toml") + "\n")
	}
	return b.String()
}

// TestConvertOneLineEach: a key read for two purposes (include_ext, for
// the watch and for the rule a make build becomes) has one line for one
// problem.
func TestConvertOneLineEach(t *testing.T) {
	t.Parallel()
	_, notes, err := Convert([]byte("[build]\ninclude_ext = \"go\"\ncmd = \"make\"\n"), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if text := formatNotes(notes); strings.Count(text, "build.include_ext:") != 1 {
		t.Errorf("want one build.include_ext line:\n%s", text)
	}
}

// TestConvertThisSystemsTable: a key air does not read in this system's
// [build.GOOS] table gets its line as one in [build] does, and a [build]
// value the table replaces gets one too; another system's table is one
// line, whatever it holds.
func TestConvertThisSystemsTable(t *testing.T) {
	t.Parallel()
	doc := "[build]\nargs_bin = [\"-a\"]\n[build.linux]\nargs_bin = [\"-l\"]\narg_bin = [\"-typo\"]\nexclude_dir = [\"x\"]\n[build.darwin]\narg_bin = [\"-typo\"]\n"
	got, notes, err := Convert([]byte(doc), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Run.Args, []string{"-l"}) || len(got.Watch.Exclude) != 0 {
		t.Errorf("run.args %q, watch.exclude %q; want [-l] and none", got.Run.Args, got.Watch.Exclude)
	}
	want := ".air.toml:2: build.args_bin: [build.linux] replaces it on linux, and golive's settings are the same on every system; left out\n" +
		".air.toml:5: build.linux.arg_bin: air does not read this key and ignores it (a typo?); left out\n" +
		".air.toml:6: build.linux.exclude_dir: air does not read this key and ignores it (air reads exclude_dir in [build]); left out\n" +
		".air.toml:7: build.darwin: golive builds alike on every system; the table for darwin left out\n"
	if text := formatNotes(notes); text != want {
		t.Errorf("lines:\n%s\nwant:\n%s", text, want)
	}
}
