package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/goenv"
)

// tree writes files (path → content) under a new temp dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const mod = "module example.com/m\n\ngo 1.22\n"

func TestFindMain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		tags  []string
		skip  []string
		want  string
		err   string
	}{
		{"root is main", map[string]string{"go.mod": mod, "main.go": "package main\nfunc main(){}\n", "cmd/x/main.go": "package main\n"}, nil, nil, ".", ""},
		{"single cmd", map[string]string{"go.mod": mod, "lib.go": "package m\n", "cmd/server/main.go": "package main\n"}, nil, nil, "./cmd/server", ""},
		{"generator with go:build ignore is no candidate", map[string]string{"go.mod": mod, "lib.go": "package m\n",
			"gen/gen.go": "//go:build ignore\n\npackage main\n", "cmd/app/main.go": "package main\n"}, nil, nil, "./cmd/app", ""},
		{"tagged main needs its tag", map[string]string{"go.mod": mod, "lib.go": "package m\n",
			"tool/main.go": "//go:build tool\n\npackage main\n"}, []string{"tool"}, nil, "./tool", ""},
		{"testdata, hidden, nested modules and skipped dirs are ignored", map[string]string{"go.mod": mod, "lib.go": "package m\n",
			"testdata/a/main.go": "package main\n", ".hidden/main.go": "package main\n",
			"nested/go.mod": "module x\n", "nested/main.go": "package main\n",
			"greeter/main.go": "package main\n", "cmd/real/main.go": "package main\n"}, nil, []string{"./greeter"}, "./cmd/real", ""},
		{"a skipped dir is one however it is written", map[string]string{"go.mod": mod, "lib.go": "package m\n",
			"greeter/main.go": "package main\n", "tools/gen/main.go": "package main\n", "cmd/real/main.go": "package main\n"},
			nil, []string{"./greeter/", "tools//gen"}, "./cmd/real", ""},
		{"none", map[string]string{"go.mod": mod, "lib.go": "package m\n"}, nil, nil, "", "no main package in"},
		{"several", map[string]string{"go.mod": mod, "cmd/a/main.go": "package main\n", "cmd/b/main.go": "package main\n"},
			nil, nil, "", "2 main packages (./cmd/a, ./cmd/b); pick one with -p ./cmd/a or build.package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, tt.files)
			got, err := FindMain(dir, goenv.BuildContext(nil, tt.tags, nil), tt.skip)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindMain = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestModuleRoot(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"go.mod": mod, "a/b/c.go": "package b\n"})
	got, err := ModuleRoot(filepath.Join(dir, "a", "b"))
	if err != nil || got != dir {
		t.Fatalf("ModuleRoot = %q, %v; want %q", got, err, dir)
	}
	if _, err := ModuleRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go mod init") {
		t.Fatalf("outside a module: err = %v", err)
	}
}
