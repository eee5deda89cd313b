package rules

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

// devFile is a _templ.go as templ's development mode writes it: the
// text is the default of each templruntime.WriteString call.
func devFile(text, code string) string {
	return "package main\n\nfunc hello(v string) {\n\ttempl_7745c5c3_Err = templruntime.WriteString(templ_7745c5c3_Buffer, 1, \"" + text + "\")\n\t" + code + "\n}\n"
}

// TestTextOnly: in development mode, a _templ.go whose text alone
// changed is dropped; one whose code changed is kept, as is any other
// file, a _templ.go seen for the first time and one removed. Outside
// development mode nothing is dropped.
func TestTextOnly(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{
		"hello_templ.go": devFile(`<p>version `, "x := 1"),
		"main.go":        "package main\n",
	})
	e := New(Options{Dir: dir, TemplDev: true})
	e.Baseline()
	testkit.WriteFile(t, filepath.Join(dir, "hello_templ.go"), devFile(`<p>Version \"quoted\" `, "x := 1"))
	testkit.WriteFile(t, filepath.Join(dir, "new_templ.go"), devFile("a", ""))
	kept, dropped := e.TextOnly([]string{"hello_templ.go", "main.go", "new_templ.go"})
	if !slices.Equal(dropped, []string{"hello_templ.go"}) || !slices.Equal(kept, []string{"main.go", "new_templ.go"}) {
		t.Fatalf("text edit: kept %v, dropped %v", kept, dropped)
	}
	testkit.WriteFile(t, filepath.Join(dir, "hello_templ.go"), devFile(`<p>Version \"quoted\" `, "x := 2"))
	if kept, _ := e.TextOnly([]string{"hello_templ.go"}); len(kept) != 1 {
		t.Fatal("a change of code was dropped")
	}
	if err := os.Remove(filepath.Join(dir, "hello_templ.go")); err != nil {
		t.Fatal(err)
	}
	if kept, _ := e.TextOnly([]string{"hello_templ.go"}); len(kept) != 1 {
		t.Fatal("a removed _templ.go was dropped")
	}
	// Outside development mode the same calls are the text itself: a
	// change of it is kept.
	prod := New(Options{Dir: dir})
	prod.Baseline()
	testkit.WriteFile(t, filepath.Join(dir, "new_templ.go"), devFile("b", ""))
	if kept, _ := prod.TextOnly([]string{"new_templ.go"}); len(kept) != 1 {
		t.Fatal("outside development mode, a change of text was dropped")
	}
}
