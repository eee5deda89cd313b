package watcher

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// gitRepo makes a repository whose ignore rules use every kind git has:
// a pattern, a negation, a directory-only pattern, a nested .gitignore
// with a negation of its own, .git/info/exclude and core.excludesFile
// (GIT_CONFIG_GLOBAL, so the test sets the environment: not parallel).
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git here")
	}
	root := t.TempDir()
	global := filepath.Join(t.TempDir(), "ignore")
	write(t, filepath.Dir(global), "ignore", "*.bak.go\n")
	write(t, filepath.Dir(global), "config", "[core]\n\texcludesFile = "+global+"\n")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(filepath.Dir(global), "config"))
	cmd := exec.Command("git", "init", "-q", root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	for name, data := range map[string]string{
		".gitignore":          "*.log\n/build/\n!keep.log\ngen_*.go\ntmp/\n",
		"sub/.gitignore":      "local.go\n!gen_ok.go\n",
		".git/info/exclude":   "secret.go\n",
		"main.go":             "package main",
		"build/x.go":          "package build",
		"tmp/t.go":            "package tmp",
		"sub/deeper/keep.txt": "x",
	} {
		write(t, root, name, data)
	}
	return root
}

// TestGitIgnoreAgreesWithGit: the matcher's answer for each path is git
// check-ignore's own, one path at a time.
func TestGitIgnoreAgreesWithGit(t *testing.T) {
	root := gitRepo(t)
	g := newGitIgnore(root, func(err error) { t.Errorf("warn: %v", err) })
	defer g.close()
	for _, rel := range []string{
		"a.log", "keep.log", "build", "build/x.go", "main.go", "gen_x.go", "sub/gen_ok.go",
		"sub/local.go", "sub/deeper/a.log", "secret.go", "old.bak.go", "tmp", "tmp/t.go", "tmp2", "sub",
	} {
		cmd := exec.Command("git", "check-ignore", "-q", rel)
		cmd.Dir = root
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		want := err == nil // 0: ignored, 1: not
		if got := g.ignored(rel); got != want {
			t.Errorf("ignored(%s) = %v, git check-ignore says %v", rel, got, want)
		}
	}
}

// TestGitIgnoreInTheWatcher: in tree mode a file git ignores starts
// nothing and an ignored directory is not watched; an include pattern
// respects git too; a .gitignore edit is read again.
func TestGitIgnoreInTheWatcher(t *testing.T) {
	root := gitRepo(t)
	shared := t.TempDir() // reached through a link: git refuses paths below one
	write(t, shared, "pkg/s.go", "package pkg")
	if err := os.Symlink(shared, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	s := start(t, root, Options{GitIgnore: true, Include: []string{"*.log"}})
	if s.w.m.git.isOff() {
		t.Fatal("the filter turned itself off during the walk")
	}
	if dirs := s.w.tree.relDirs(); !slices.Contains(dirs, "linked/pkg") {
		t.Errorf("watched %v: want the linked tree too", dirs)
	}
	if dirs := s.w.tree.relDirs(); slices.Contains(dirs, "build") || slices.Contains(dirs, "tmp") || !slices.Contains(dirs, "sub") {
		t.Errorf("watched %v: want build/ and tmp/ left out, sub/ in", dirs)
	}
	s.write("gen_x.go", "package main")
	s.write("a.log", "x")
	s.write("sub/local.go", "package sub")
	s.write("keep.log", "x")
	s.write("main.go", "package main // edited")
	s.expect(Change{"keep.log", Write}, Change{"main.go", Write})
	s.none(200 * time.Millisecond)
	write(t, shared, "pkg/s.go", "package pkg // edited through the link")
	s.expect(Change{"linked/pkg/s.go", Write})
	if s.w.m.git.isOff() {
		t.Fatal("the filter turned itself off")
	}

	s.write(".gitignore", "*.log\n/build/\n!keep.log\ntmp/\n") // gen_*.go no longer ignored
	s.write("gen_x.go", "package main // edited")
	s.expect(Change{"gen_x.go", Write})
}

// TestGitIgnoreOutsideARepository: with no repository, nothing is
// ignored and no error is raised.
func TestGitIgnoreOutsideARepository(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, ".gitignore", "*.go\n")
	g := newGitIgnore(root, func(err error) { t.Errorf("warn: %v", err) })
	defer g.close()
	if g.ignored("main.go") {
		t.Error("a .gitignore outside any repository ignored main.go")
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
		t.Fatal("the temp directory is in a repository")
	}
}
