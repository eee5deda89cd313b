package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/golive-dev/golive/internal/config"
)

// TestHelpNamesConfigKeys walks golive's real flag set and checks that
// -h lists every flag, and that each flag's entry names in parentheses
// the config key the flag overrides, and no key it does not. Which key a
// flag overrides is not written down here: the test sets the flag, lays
// it over the defaults, and sees which key of `golive config` changed.
func TestHelpNamesConfigKeys(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	if code := run([]string{"-h"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("golive -h exited %d, want 0; stderr:\n%s", code, &stderr)
	}
	help := helpEntries(stderr.String())
	named := regexp.MustCompile(`\(([a-z_]+\.[a-z_]+)\)`)

	n := 0
	newFlagSet(&invocation{}, io.Discard).VisitAll(func(f *flag.Flag) {
		n++
		entry, ok := help[f.Name]
		if !ok {
			t.Errorf("-%s is not listed by golive -h", f.Name)
			return
		}
		want := overriddenKeys(t, f)
		var got []string
		for _, m := range named.FindAllStringSubmatch(entry, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, want) {
			t.Errorf("-%s overrides %v, but its -h entry names %v:\n%s", f.Name, want, got, entry)
		}
	})
	if n == 0 {
		t.Fatal("the flag set has no flags")
	}
}

// helpEntries splits flag.PrintDefaults output into one entry per flag:
// "  -name type" and its indented usage lines.
func helpEntries(help string) map[string]string {
	entries := map[string]string{}
	name := ""
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "  -"):
			name = strings.Fields(line)[0][1:]
			entries[name] = line
		case name != "" && strings.HasPrefix(line, "    \t"):
			entries[name] += "\n" + line
		default:
			name = ""
		}
	}
	return entries
}

// overriddenKeys sets f on a command line and returns the config keys
// whose effective value then differs from the default.
func overriddenKeys(t *testing.T, f *flag.Flag) []string {
	t.Helper()
	if f.Name == "from-air" {
		return nil // init's: it writes a config, it overrides none
	}
	inv, err := parseArgs([]string{"-" + f.Name + "=" + sampleValue(f)}, io.Discard)
	if err != nil {
		t.Fatalf("-%s: %v", f.Name, err)
	}
	cfg := config.Default()
	inv.apply(&cfg)
	before, after := flatConfig(t, config.Default()), flatConfig(t, cfg)
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if !reflect.DeepEqual(before[k], after[k]) {
			keys = append(keys, k)
		}
	}
	return keys
}

// sampleValue is a value f accepts that differs from every default.
func sampleValue(f *flag.Flag) string {
	if f.Name == "proxy" {
		return "127.0.0.1:9999=http://127.0.0.1:8081"
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "true"
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if _, ok := g.Get().(time.Duration); ok {
			return "1234ms"
		}
	}
	return "./sample"
}

// flatConfig is cfg as `golive config` prints it, keyed "table.key".
func flatConfig(t *testing.T, cfg config.Config) map[string]any {
	t.Helper()
	data, err := config.Encode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := toml.Unmarshal(data, &top); err != nil {
		t.Fatalf("golive config printed what does not parse: %v\n%s", err, data)
	}
	flat := map[string]any{}
	for table, v := range top {
		keys, ok := v.(map[string]any)
		if !ok {
			flat[table] = v // the [[rule]] blocks, which no flag sets
			continue
		}
		for k, v := range keys {
			flat[fmt.Sprintf("%s.%s", table, k)] = v
		}
	}
	return flat
}
