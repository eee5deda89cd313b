package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	name := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSumsJudge(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := newSums(root)
	for _, rel := range []string{"same.go", "edited.go", "removed.go", "a/b/c.go"} {
		write(t, root, rel, "package x // "+rel)
		if err := s.baseline(rel); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.baseline("vanished.go"); err != nil {
		t.Errorf("baseline of a vanished file: %v", err)
	}
	write(t, root, "same.go", "package x // same.go") // same bytes again
	write(t, root, "edited.go", "package x // edited")
	write(t, root, "new.go", "package x")
	write(t, root, "dir.go/x.go", "package x") // a directory where a file may be
	if err := os.Remove(filepath.Join(root, "removed.go")); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]verdict{
		"same.go":     {op: Write},
		"edited.go":   {op: Write, counts: true},
		"new.go":      {op: Write, counts: true},
		"removed.go":  {op: Remove, counts: true},
		"never.go":    {op: Remove},
		"dir.go":      {op: Remove},
		"same.go/x":   {op: Remove}, // ENOTDIR
		"vanished.go": {op: Remove},
	} {
		got := s.judge(rel)
		got.sum = 0
		if got != want {
			t.Errorf("judge(%q) = %+v, want %+v", rel, got, want)
		}
	}

	s.record("edited.go", s.judge("edited.go"))
	if v := s.judge("edited.go"); v.counts {
		t.Error("edited.go still counts once its new content was recorded")
	}
	s.record("removed.go", s.judge("removed.go"))
	if v := s.judge("removed.go"); v.counts {
		t.Error("removed.go counts again after its removal was recorded")
	}
}

func TestSumsUnder(t *testing.T) {
	t.Parallel()
	s := newSums(t.TempDir())
	for _, rel := range []string{"a.go", "pkg/b.go", "pkg/sub/c.go", "pkgx/d.go"} {
		s.record(rel, verdict{op: Write, sum: 1})
	}
	got := s.under("pkg")
	slices.Sort(got)
	if want := []string{"pkg/b.go", "pkg/sub/c.go"}; !slices.Equal(got, want) {
		t.Errorf("under(pkg) = %v, want %v", got, want)
	}
	if got := s.under("."); len(got) != 4 {
		t.Errorf("under(.) = %v, want all 4", got)
	}
}
