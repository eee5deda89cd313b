package watcher

import (
	"fmt"
	"strings"
	"testing"
)

// TestHomeRefusedBySize: the home directory itself is refused when its
// tree is large, with the override in the line, and accepted when it is
// small (a container whose home is the project) or with AllowRoot. Not
// parallel: it sets HOME and lowers the bound, as no parallel test runs
// meanwhile.
func TestHomeRefusedBySize(t *testing.T) {
	defer func(n int) { bigTree = n }(bigTree)
	bigTree = 10
	home := t.TempDir()
	t.Setenv("HOME", home)
	write(t, home, "go.mod", "module m")
	for i := range 5 {
		write(t, home, fmt.Sprintf("p%d/x.go", i), "package p")
	}
	if err := Check(Options{Root: home}); err != nil {
		t.Fatalf("a small home: %v", err)
	}
	for i := range 20 {
		write(t, home, fmt.Sprintf("cache/c%d/x", i), "x")
		write(t, home, fmt.Sprintf("node_modules/n%d/x", i), "x") // never watched: not counted
	}
	err := Check(Options{Root: home})
	if err == nil || !strings.Contains(err.Error(), "it is your home directory and holds more than 10 directories; start golive in the project's directory, or set watch.allow_root = true") {
		t.Fatalf("a large home: %v", err)
	}
	if err := Check(Options{Root: home, AllowRoot: true}); err != nil {
		t.Fatalf("a large home with AllowRoot: %v", err)
	}
}
