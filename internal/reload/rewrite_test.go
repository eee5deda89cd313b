package reload

import (
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/project"
)

func TestRewrite(t *testing.T) {
	t.Parallel()
	src := `// Package greeter greets.
package greeter // trailing comment

import (
	"fmt"
	p "example.com/app/greeter/punct"
	"example.com/app/greeter"
	_ "example.com/app/greeterx"
	"example.com/app/greeter/a/b"
)

import "example.com/app/shared"

func Greet() string {   return fmt.Sprint(p.Mark(), b.B, shared.X, greeter.Y) }
`
	want := `// Package greeter greets.
package main // trailing comment

import (
	"fmt"
	p "example.com/app/_golive/7/greeter/punct"
	"example.com/app/_golive/7/greeter"
	_ "example.com/app/greeterx"
	"example.com/app/_golive/7/greeter/a/b"
)

import "example.com/app/shared"

func Greet() string {   return fmt.Sprint(p.Mark(), b.B, shared.X, greeter.Y) }
`
	got, err := rewrite("greeter.go", []byte(src), "main", "example.com/app/greeter", "example.com/app/_golive/7/greeter")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Lines keep their numbers, and the unedited lines their bytes.
	if g, w := strings.Split(string(got), "\n"), strings.Split(src, "\n"); len(g) != len(w) || g[13] != w[13] {
		t.Errorf("lines moved")
	}

	sub, err := rewrite("sub.go", []byte("package sub\n\nimport \"example.com/app/greeter/punct\"\n"), "", "example.com/app/greeter", "v/greeter")
	if err != nil || string(sub) != "package sub\n\nimport \"v/greeter/punct\"\n" {
		t.Errorf("subpackage: %q, %v", sub, err)
	}
	if _, err := rewrite("bad.go", []byte("package greeter\nimport (\n"), "main", "a", "b"); err == nil {
		t.Error("a broken import block parsed")
	}
}

func TestModulePath(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"module example.com/app\n\ngo 1.26\n":   "example.com/app",
		"// c\nmodule \"example.com/q\" // x\n": "example.com/q",
		"modulex y\nmodule\tz\n":                "z",
		"go 1.26\n":                             "",
	}
	for in, want := range tests {
		if got := project.ModulePath([]byte(in)); got != want {
			t.Errorf("ModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
