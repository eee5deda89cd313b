package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
)

// LibModule is a program whose main prints lib.Word() and main's own
// constant: "A v1". Word is not inlined, so its body is not in lib's
// export data, and an edit of it leaves lib's export data as it was.
var LibModule = map[string]string{
	"go.mod":      "module example.com/rp\n\ngo 1.22\n",
	"main.go":     "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/rp/lib\"\n)\n\nfunc main() { fmt.Println(lib.Word(), version) }\n",
	"version.go":  "package main\n\nconst version = \"v1\"\n",
	"lib/lib.go":  "package lib\n\nimport \"strings\"\n\n//go:noinline\nfunc Word() string { return strings.ToUpper(\"a\") }\n",
	"lib/more.go": "package lib\n\nconst Exported = 1\n",
}

// WriteModule writes files (slash paths to contents) into a new temporary
// directory and returns it.
func WriteModule(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), src)
	}
	return dir
}

// WriteFile writes data to path, making its directory if need be.
func WriteFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Output runs bin and returns what it printed, trimmed.
func Output(t testing.TB, bin string) string {
	t.Helper()
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", bin, err, out)
	}
	return strings.TrimSpace(string(out))
}

// FileClockPast lets the file clock's slack pass (twice over), as golive's
// quiet window does between a save and its build: files written before it
// are then older than the build that follows, to a replay's snapshot.
func FileClockPast() { time.Sleep(2 * fileclock.Slack) }

// OwnCache gives the test a user cache of its own, where golive keeps its
// work directories and recipe stores, while go's build cache stays the
// user's, warm. It sets the environment: the test cannot be parallel.
func OwnCache(t *testing.T) {
	t.Helper()
	if os.Getenv("GOCACHE") == "" {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("GOCACHE", strings.TrimSpace(string(out)))
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// NeedCgo skips t unless a program with C code of its own can be built
// here: gcc installed and go env CGO_ENABLED=1.
func NeedCgo(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("needs gcc, which cgo links with")
	}
	if out, err := exec.Command("go", "env", "CGO_ENABLED").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("needs cgo (go env CGO_ENABLED is not 1)")
	}
}
