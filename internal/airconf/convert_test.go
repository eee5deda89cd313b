package airconf

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/config"
)

// everyKey is a config written for these tests that sets every key air
// v1.67.2 documents (its air_example.toml and runner/config.go), with
// keys air would ignore; init_from_air.txtar runs golive on it too.
const everyKey = "testdata/everykey/.air.toml"

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestConvertEveryKey: on Linux, every key of everyKey maps or has its
// line (testdata/everykey/notes.linux, the lines golive init --from-air
// prints), and the settings, written as golive init --from-air writes
// them, load strictly as what golive config prints.
func TestConvertEveryKey(t *testing.T) {
	t.Parallel()
	got, notes := convertFile(t, everyKey, "linux")
	golden(t, "testdata/everykey/notes.linux", formatNotes(notes))

	loaded := writeAndLoad(t, got)
	want := config.Default()
	want.Watch.Include = []string{"**/*.tpl", "**/*.html", "./config.yaml"} // config.yaml at the root only, as air means it
	want.Watch.Exclude = []string{"tmp/**", "assets/**", "vendor/**", "frontend/node_modules/**", "web/gen.go"}
	want.Watch.Debounce = config.Duration(250 * time.Millisecond)
	want.Watch.Poll = true
	want.Watch.Interval = config.Duration(700 * time.Millisecond)
	want.Build.Package = "./cmd/server"
	want.Build.Flags = []string{"-race"}
	want.Build.Tags = []string{"dev", "sqlite"}
	want.Build.LDFlags = "-X main.v=dev"
	want.Build.Env = map[string]string{"CGO_ENABLED": "0"}
	want.Build.Before = []string{"templ generate", "sqlc generate"} // [build.linux]'s
	want.Run.EnvFile = ".env"
	want.Run.Args = []string{"-linux", "--linux"} // full_bin's, then args_bin's, both [build.linux]'s
	want.Run.Env = map[string]string{"APP_ENV": "linux"}
	want.Run.StopSignal = "SIGINT"
	want.Run.StopTimeout = config.Duration(500 * time.Millisecond)
	want.Run.Restart = "always"
	want.Proxy.Listen = "127.0.0.1:8090"
	want.Proxy.Target = "http://127.0.0.1:8080"
	want.Proxy.Wait = config.Duration(3 * time.Second)
	want.Log.Color = "never"
	want.Rules = []config.Rule{{Match: []string{"web/**/*.js", "web/**/*.css", "web/manifest.json"}, Run: "npm run build", Shell: true, Then: config.ThenNone}}
	if err := want.Validate(); err != nil { // fills the defaults Load fills
		t.Fatal(err)
	}
	if g, w := encode(t, loaded), encode(t, want); g != w {
		t.Errorf("golive config after init --from-air:\n%s\nwant:\n%s", g, w)
	}
}

// TestConvertOSTables: on each system air reads its [build.GOOS] table
// key by key over [build], and the [build] values it replaces, and the
// other systems' tables, get a line each.
func TestConvertOSTables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		goos   string
		before []string
		args   []string
		env    map[string]string
		notes  []string
	}{
		{"darwin", []string{"echo darwin"}, []string{"-darwin", "--darwin"}, map[string]string{"APP_ENV": "darwin"}, []string{
			".air.toml:11: build.cmd: [build.darwin] replaces it on darwin",
			".air.toml:64: build.darwin.bin: golive runs the binary it builds itself",
			".air.toml:65: build.darwin.entrypoint: air runs full_bin instead",
			".air.toml:51: build.windows: golive builds alike on every system",
			".air.toml:69: build.linux: golive builds alike on every system",
		}},
		{"windows", []string{"echo windows"}, []string{"-windows", "--windows"}, nil, []string{
			".air.toml:16: build.args_bin: [build.windows] replaces it on windows",
			".air.toml:56: build.windows.entrypoint: air runs full_bin instead",
			".air.toml:60: build.darwin: golive builds alike on every system",
		}},
		{"freebsd", []string{"templ generate"}, []string{"-full", "hello", "world"}, map[string]string{"APP_ENV": "dev", "APP_USER": "air"}, []string{
			".air.toml:14: build.entrypoint: air runs full_bin instead",
			".air.toml:69: build.linux: golive builds alike on every system",
		}},
	} {
		got, notes := convertFile(t, everyKey, tc.goos)
		if got.Build.Package != "./cmd/server" || !reflect.DeepEqual(got.Build.Before, tc.before) || !reflect.DeepEqual(got.Run.Args, tc.args) || !reflect.DeepEqual(got.Run.Env, tc.env) {
			t.Errorf("%s: package %q, before %q, args %q, env %v; want ./cmd/server, %q, %q, %v", tc.goos, got.Build.Package, got.Build.Before, got.Run.Args, got.Run.Env, tc.before, tc.args, tc.env)
		}
		text := formatNotes(notes)
		for _, w := range tc.notes {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no line %q in:\n%s", tc.goos, w, text)
			}
		}
		writeAndLoad(t, got)
	}
}

// convertFile converts the air config at path for goos.
func convertFile(t *testing.T, path, goos string) (config.Config, []Note) {
	t.Helper()
	cfg, notes, err := Read(path, goos)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, notes
}

// writeAndLoad writes cfg as golive init --from-air does and loads it
// back with golive's strict loader.
func writeAndLoad(t *testing.T, cfg config.Config) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), config.FileName)
	if err := os.WriteFile(path, []byte(encode(t, cfg)), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.Load(path)
	if err != nil {
		t.Fatalf("the converted settings do not load: %v\n%s", err, encode(t, cfg))
	}
	return loaded
}

func encode(t *testing.T, cfg config.Config) string {
	t.Helper()
	out, err := config.Encode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
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

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("lines differ from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
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
	doc := "tmp_dir = \".\"\n[build]\ncmd = \"\"\nexclude_dir = [\"\", \"tmp\"]\ninclude_ext = [\"[\"]\n[proxy]\nenabled = true\nproxy_port = 99999\napp_port = 8080\n"
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
	for _, w := range []string{`.air.toml:1: tmp_dir: "." is the whole project`, `build.exclude_dir: "" is the whole project`, `build.include_ext: "**/*.[" is no glob`, `proxy: proxy_port 99999 or app_port 8080 is no port`} {
		if !strings.Contains(all, w) {
			t.Errorf("no note %q in:\n%s", w, all)
		}
	}
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
