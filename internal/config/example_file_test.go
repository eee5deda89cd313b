package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// examplePath is the documented config at the repository root: a link to
// cmd/golive/reload.toml.example, which golive init embeds. Reading it
// through the link also proves the link holds.
const examplePath = "../../.reload.toml.example"

// TestExampleFile keeps .reload.toml.example from drifting: it must load to
// exactly Default(), and every key of Config must be set in it (not just
// mentioned) with a comment right above it.
func TestExampleFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(examplePath, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(c, want) {
		t.Errorf("example loads to\n%+v\nwant Default()\n%+v", c, want)
	}

	keys, _ := scan(data)
	lines := strings.Split(string(data), "\n")
	for _, key := range leafKeys(configType, "") {
		if f, ok := child(configType, key); ok && isTableArray(f) {
			checkTableArray(t, string(data), key, f.Elem())
			continue
		}
		line, ok := keys[key]
		switch {
		case !ok:
			t.Errorf("%s: key %s is missing", examplePath, key)
		case line < 2 || !strings.HasPrefix(lines[line-2], "#"):
			t.Errorf("%s:%d: key %s has no comment above it", examplePath, line, key)
		}
	}
}

// checkTableArray: an array of tables ([[rule]]) is empty by default, so
// the example shows one block commented out, every key in it.
func checkTableArray(t *testing.T, data, key string, elem reflect.Type) {
	t.Helper()
	if !strings.Contains(data, "\n# [["+key+"]]\n") {
		t.Errorf("%s: no commented [[%s]] block", examplePath, key)
	}
	for _, sub := range leafKeys(elem, "") {
		if !strings.Contains(data, "\n# "+sub+" = ") {
			t.Errorf("%s: the [[%s]] block lacks %s", examplePath, key, sub)
		}
	}
}
