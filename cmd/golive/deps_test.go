package main

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestHTTPOnlyInProxy keeps HTTP in the proxy's room: the browser proxy
// is the one golive package that serves or sends HTTP (it needs
// net/http/httputil.ReverseProxy). Linking net/http made golive dynamically
// linked against libc on Unix and cost about 6.5 MB of resident memory,
// nearly all of it the binary's file pages (docs/benchmarks.md); the
// readiness check and plugin delivery keep using internal/sock.
func TestHTTPOnlyInProxy(t *testing.T) {
	t.Parallel()
	for _, goos := range []string{"linux", "darwin", "freebsd"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderrOf(err))
			}
			for _, pkg := range []string{"net/http", "net/http/httputil"} {
				for _, who := range importers(string(out), pkg) {
					if strings.HasPrefix(who, "github.com/golive-dev/golive/") && who != "github.com/golive-dev/golive/internal/proxy" {
						t.Errorf("GOOS=%s: %s imports %s; only internal/proxy may", goos, who, pkg)
					}
				}
			}
		})
	}
}

// importers returns the packages in go list's lines ("pkg import...")
// that import pkg.
func importers(list, pkg string) []string {
	var who []string
	for line := range strings.Lines(list) {
		fields := strings.Fields(line)
		if len(fields) > 1 && slices.Contains(fields[1:], pkg) {
			who = append(who, fields[0])
		}
	}
	return who
}

func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}

// allowedImports is the house plan: for each package of the product, the
// golive packages it may import (docs/architecture.md has the table).
// Data flows one way, watcher → runner → build, supervision, reload →
// events, and the loop knows only its contracts: runner imports no build,
// process or readiness package, the watcher nothing of building, and the
// packages at the bottom nothing of golive at all.
var allowedImports = map[string][]string{
	"internal/events":         nil,
	"internal/extld":          nil,
	"internal/fileclock":      nil,
	"internal/goenv":          nil,
	"internal/procgroup":      nil,
	"internal/project":        nil,
	"internal/resident":       nil,
	"internal/signals":        nil,
	"internal/sock":           nil,
	"internal/ready":          {"internal/sock"},
	"internal/config":         {"internal/ready", "internal/signals"},
	"internal/proxy":          {"internal/events"},
	"internal/debug":          {"internal/events", "runner"},
	"watcher":                 {"internal/fileclock"},
	"runner":                  {"internal/events", "watcher"},
	"internal/builder/replay": {"internal/fileclock", "internal/goenv", "internal/procgroup"},
	"internal/builder":        {"internal/builder/replay", "internal/events", "internal/goenv", "internal/procgroup", "internal/project", "runner"},
	"internal/supervise":      {"internal/procgroup", "internal/resident", "internal/signals", "runner"},
	"internal/reload":         {"internal/builder", "internal/events", "internal/procgroup", "internal/project", "internal/sock", "runner"},
	"internal/graph":          {"internal/events", "internal/fileclock", "internal/goenv", "runner", "watcher"},
	"internal/rules":          {"internal/procgroup"},
	"internal/side":           {"internal/events", "internal/supervise", "runner"},
	"internal/airconf":        {"internal/config"},
	"internal/session": {"internal/builder", "internal/config", "internal/debug", "internal/graph", "internal/events", "internal/extld", "internal/goenv",
		"internal/fileclock", "internal/procgroup", "internal/proxy", "internal/ready", "internal/reload", "internal/resident", "internal/rules", "internal/side", "internal/signals",
		"internal/supervise", "runner", "watcher"},
	"cmd/golive": {"internal/airconf", "internal/builder", "internal/config", "internal/events", "internal/project",
		"internal/session", "internal/supervise", "runner"},
	// Test helpers: no product package may import them.
	"internal/testkit":  {"internal/events", "internal/fileclock"},
	"internal/proctest": nil,
	"examples/hello":    nil,
}

// TestImportDirections checks every package's imports (tests aside)
// against allowedImports, on every system golive builds for: a new
// package, or a new import between two, is a change of the house plan,
// made here and in docs/architecture.md.
func TestImportDirections(t *testing.T) {
	t.Parallel()
	const module = "github.com/golive-dev/golive/"
	for _, goos := range []string{"linux", "darwin", "windows", "freebsd", "openbsd", "plan9"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "../../...")
			cmd.Env = append(os.Environ(), "GOOS="+goos)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderrOf(err))
			}
			for line := range strings.Lines(string(out)) {
				fields := strings.Fields(line)
				pkg := strings.TrimPrefix(fields[0], module)
				allowed, known := allowedImports[pkg]
				if !known {
					t.Errorf("package %s is not in the house plan (allowedImports)", pkg)
					continue
				}
				for _, imp := range fields[1:] {
					dep, ours := strings.CutPrefix(imp, module)
					if ours && !slices.Contains(allowed, dep) {
						t.Errorf("GOOS=%s: %s imports %s, which the house plan does not allow", goos, pkg, dep)
					}
				}
			}
		})
	}
}
