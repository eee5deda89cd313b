package goenv

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestGet: the environment wins over the go env file, the last duplicate
// wins within the environment, and the file's quoted values are read.
func TestGet(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, []byte("GOFLAGS=\"-tags=fromfile -mod=mod\"\nGOOS=plan9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GOENV=" + file, "GOOS=linux", "GOOS=darwin"}
	if got := Get(env, "GOOS"); got != "darwin" {
		t.Errorf("GOOS = %q, want the environment's last, darwin", got)
	}
	if got := Flags(env); !slices.Equal(got, []string{"-tags=fromfile", "-mod=mod"}) {
		t.Errorf("Flags = %q, want the go env file's", got)
	}
	if got := Get(env, "GOARCH"); got != "" {
		t.Errorf("GOARCH = %q, set nowhere", got)
	}
}

// TestBuildContext: GOOS, CGO_ENABLED and tags from every source decide
// which files match.
func TestBuildContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"linux.go":  "//go:build linux\n\npackage p\n",
		"darwin.go": "//go:build darwin\n\npackage p\n",
		"tagged.go": "//go:build a && b && c\n\npackage p\n",
		"cgo.go":    "//go:build cgo\n\npackage p\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"GOENV=off", "GOOS=darwin", "CGO_ENABLED=0", "GOFLAGS=-tags=a"}
	ctx := BuildContext(env, []string{"b"}, []string{"-tags", "c"})
	for name, want := range map[string]bool{"linux.go": false, "darwin.go": true, "tagged.go": true, "cgo.go": false} {
		if got, err := ctx.MatchFile(dir, name); err != nil || got != want {
			t.Errorf("MatchFile(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
}
