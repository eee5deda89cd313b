package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/session"
	"github.com/golive-dev/golive/internal/testkit"
)

// TestUseColor checks the colour switch: always and never are obeyed
// whatever the writer and environment; auto means a terminal, no NO_COLOR
// (an empty one counts as unset, as no-color.org says) and a TERM other
// than dumb. It sets the environment, so it cannot run in parallel.
func TestUseColor(t *testing.T) {
	term := openTerminal(t)
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name    string
		mode    string
		w       io.Writer
		noColor string
		term    string
		want    bool
	}{
		{"auto on a terminal, NO_COLOR empty", "auto", term, "", "xterm-256color", true},
		{"auto with NO_COLOR", "auto", term, "1", "xterm-256color", false},
		{"auto with TERM=dumb", "auto", term, "", "dumb", false},
		{"auto on a file", "auto", file, "", "xterm-256color", false},
		{"auto on a buffer", "auto", &bytes.Buffer{}, "", "xterm-256color", false},
		{"always on a file", "always", file, "", "xterm-256color", true},
		{"always with NO_COLOR", "always", &bytes.Buffer{}, "1", "dumb", true},
		{"never on a terminal", "never", term, "", "xterm-256color", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.noColor)
			t.Setenv("TERM", tt.term)
			if got := useColor(tt.mode, tt.w); got != tt.want {
				t.Errorf("useColor(%q, %T) with NO_COLOR=%q TERM=%q = %v, want %v", tt.mode, tt.w, tt.noColor, tt.term, got, tt.want)
			}
		})
	}
}

// TestDiscoveryJudgesFilesAsTheBuild: with GOOS=darwin in build.env, a
// root main.go constrained to linux is no program to discovery, which
// picks ./cmd/app, as the go command sees it; the build's own view (the
// one a replay checks an edited file with) says the same of main.go.
func TestDiscoveryJudgesFilesAsTheBuild(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":          "module example.com/app\n\ngo 1.22\n",
		"main.go":         "//go:build linux\n\npackage main\n\nfunc main() {}\n",
		"cmd/app/main.go": "package main\n\nfunc main() {}\n",
		".reload.toml":    "[build]\nenv = { GOOS = \"darwin\" }\n",
	})
	inv, err := parseArgs([]string{"-C", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := setUp(inv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.pkg != "./cmd/app" {
		t.Errorf("discovery found %q, want ./cmd/app", s.pkg)
	}
	ctx := builder.Context(session.BuildOptions(s.cfg, dir, nil))
	if ok, err := ctx.MatchFile(dir, "main.go"); ok || err != nil {
		t.Errorf("the build's context takes main.go (%v, %v) under GOOS=darwin", ok, err)
	}
	list := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}:{{.Name}}", ".", "./cmd/app")
	list.Dir, list.Env = dir, append(os.Environ(), "GOOS=darwin", "GOFLAGS=")
	out, err := list.Output()
	if got := strings.Fields(string(out)); err != nil || len(got) != 2 || got[0] != "example.com/app:" || got[1] != "example.com/app/cmd/app:main" {
		t.Errorf("go list under GOOS=darwin says %q (%v), want the root without a package and cmd/app as main", got, err)
	}
}
