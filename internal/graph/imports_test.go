package graph

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
)

// TestSettle: the imports kept after a load are those of files that
// stood still while go list read them. One saved meanwhile (perhaps read
// half written) is left out, so its next change loads the set again; a
// file that only the new graph holds is read if it is older than the load.
func TestSettle(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(v()) }\n",
		"v.go":    "package main\n\nfunc v() string { return \"one\" }\n",
		"old.go":  "package main\n\nimport \"os\"\n\nvar _ = os.Args\n",
	})
	old := &Graph{Files: map[string]bool{"go.mod": true, "main.go": true, "v.go": true}}
	before := readImports(dir, old, nil)
	testkit.FileClockPast()
	started := time.Now()
	testkit.FileClockPast()
	testkit.WriteFile(t, filepath.Join(dir, "v.go"), "package main\n\nfunc v() string { return \"two\" }\n")
	g := &Graph{Files: map[string]bool{"go.mod": true, "main.go": true, "v.go": true, "old.go": true}}
	m := settle(dir, g, before, started)
	if h, ok := m["main.go"]; !ok || h.imports != "\"fmt\"\n" {
		t.Errorf("main.go, untouched: %+v, %v; want its imports kept", h, ok)
	}
	if _, ok := m["v.go"]; ok {
		t.Error("v.go, saved during the load: kept; want left out")
	}
	if h, ok := m["old.go"]; !ok || h.imports != "\"os\"\n" {
		t.Errorf("old.go, new to the graph and older than the load: %+v, %v; want read", h, ok)
	}
	if _, ok := m["go.mod"]; ok {
		t.Error("go.mod has no import block to keep")
	}
	// A new file written after the load began is not read.
	testkit.WriteFile(t, filepath.Join(dir, "late.go"), "package main\n")
	g.Files["late.go"] = true
	if _, ok := settle(dir, g, before, started)["late.go"]; ok {
		t.Error("late.go, written during the load: read; want left out")
	}
	if err := os.Remove(filepath.Join(dir, "main.go")); err != nil {
		t.Fatal(err)
	}
	if _, ok := settle(dir, g, before, started)["main.go"]; ok {
		t.Error("main.go, removed during the load: kept")
	}
}
