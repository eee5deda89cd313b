package extld

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

// cgoProgram is a main package with a C function, which links externally.
const cgoProgram = `package main

// int twice(int x) { return 2 * x; }
import "C"

import "fmt"

func main() { fmt.Println("twice 21 is", C.twice(21)) }
`

// TestGoBuildThroughTheLinker builds a cgo program with go build, the
// linker given as -extld: first with a plain one that runs gcc, then
// with extld's at the same path, twice. All three binaries are the same
// bytes and run; the first extld link asks gcc its questions, the
// second asks none, and each runs the link itself.
func TestGoBuildThroughTheLinker(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	testkit.NeedCgo(t)
	work := t.TempDir()
	mod := filepath.Join(work, "prog")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"go.mod": "module example.com/prog\n\ngo 1.22\n", "main.go": cgoProgram} {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// gcc, through a log of its runs.
	cc := fakeCompiler(t, work, "cc", `exec gcc "$@"`)
	dir := filepath.Join(work, "extld")
	linker := filepath.Join(dir, Name)
	if err := write(linker, "#!/bin/sh\nexec "+cc+" \"$@\"\n"); err != nil {
		t.Fatal(err)
	}
	build := func(out string, vars map[string]string) {
		t.Helper()
		cmd := exec.Command("go", "build", "-o", out, "-ldflags=-w -extld="+linker, ".")
		cmd.Dir = mod
		cmd.Env = os.Environ()
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, msg)
		}
		if got, err := exec.Command(out).Output(); err != nil || string(got) != "twice 21 is 42\n" {
			t.Fatalf("%s printed %q (%v), want \"twice 21 is 42\\n\"", filepath.Base(out), got, err)
		}
	}
	// questions and links counts the compiler's runs since the last count.
	seen := 0
	count := func() (questions, links int) {
		all := calls(t, cc)
		for _, c := range all[seen:] {
			if strings.HasSuffix(c, "/trivial.c") {
				questions++
			} else {
				links++
			}
		}
		seen = len(all)
		return questions, links
	}
	plain := filepath.Join(work, "plain")
	build(plain, nil)
	if q, l := count(); q == 0 || l != 1 {
		t.Fatalf("the plain link: %d questions and %d links, want some questions and one link", q, l)
	}
	path, err := Install(dir)
	if err != nil || path != linker {
		t.Fatalf("Install: %q, %v; want %q", path, err, linker)
	}
	vars := Environ(cc, "", os.Environ()) // gcc, through the log
	first, second := filepath.Join(work, "first"), filepath.Join(work, "second")
	build(first, vars)
	if q, l := count(); q == 0 || l != 1 {
		t.Errorf("extld's first link: %d questions and %d links, want its questions asked and one link", q, l)
	}
	build(second, vars)
	if q, l := count(); q != 0 || l != 1 {
		t.Errorf("extld's second link: %d questions and %d links, want none asked again and one link", q, l)
	}
	want, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{first, second} {
		if got, err := os.ReadFile(bin); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the plain link's binary (%v)", filepath.Base(bin), err)
		}
	}
}
