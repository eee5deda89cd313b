package extld

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fakeCompiler writes an executable script to dir/name that appends its
// arguments to dir/name.log, then runs body.
func fakeCompiler(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	text := "#!/bin/sh\necho \"$@\" >>" + path + ".log\n" + body + "\n"
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// calls is what a fake compiler was run with, one line per run.
func calls(t *testing.T, compiler string) []string {
	t.Helper()
	data, err := os.ReadFile(compiler + ".log")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func skipUnlessUnix(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the linker is a shell script: plugins, which it serves, are Unix only")
	}
}

// install is Install into a temp directory; the environment it returns
// names cc and cxx as the compilers.
func install(t *testing.T, cc, cxx string) (string, []string) {
	t.Helper()
	path, err := Install(filepath.Join(t.TempDir(), "extld"))
	if err != nil {
		t.Fatal(err)
	}
	return path, withVars(os.Environ(), Environ(cc, cxx, os.Environ()))
}

func withVars(env []string, vars map[string]string) []string {
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// question runs the linker as Go's linker asks whether flag works: a link
// of trivial.c in a new temp directory.
func question(t *testing.T, linker string, env []string, flag string) (string, int) {
	t.Helper()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "trivial.c")
	if err := os.WriteFile(src, []byte(trivial), 0o666); err != nil {
		t.Fatal(err)
	}
	return runLinker(t, linker, env, "-m64", "-o", filepath.Join(tmp, "a.out"), flag, src)
}

func runLinker(t *testing.T, linker string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(linker, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// trivial is the C file Go's linker compiles to try a flag.
const trivial = "int main() { return 0; }"

// TestQuestionsAnsweredOnce: the second time the same flag is asked in a
// new temp directory, the compiler is not run, and the answer (status and
// output, which Go's linker reads for "unrecognized") is the first one's.
func TestQuestionsAnsweredOnce(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	cc := fakeCompiler(t, dir, "cc", `case "$*" in *-Qunused-arguments*) echo "cc: error: unrecognized command-line option '-Qunused-arguments'" >&2; exit 1;; esac; exit 0`)
	linker, env := install(t, cc, "")
	for _, flag := range []string{"-no-pie", "-Qunused-arguments"} {
		out1, code1 := question(t, linker, env, flag)
		out2, code2 := question(t, linker, env, flag)
		if out1 != out2 || code1 != code2 {
			t.Errorf("%s: first answer %d %q, second %d %q", flag, code1, out1, code2, out2)
		}
		if flag == "-Qunused-arguments" && (code1 != 1 || !strings.Contains(out1, "unrecognized")) {
			t.Errorf("%s: answer %d %q, want the compiler's refusal", flag, code1, out1)
		}
	}
	if got := calls(t, cc); len(got) != 2 {
		t.Errorf("the compiler ran %d times for two flags asked twice each, want 2:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestLinkRunsTheCompiler: every call that is no question runs the
// compiler, with its arguments, status and streams as they are.
func TestLinkRunsTheCompiler(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	cc := fakeCompiler(t, dir, "cc", `echo "to stdout"; echo "cc: warning: to stderr" >&2; exit 3`)
	linker, env := install(t, cc, "")
	for range 2 {
		cmd := exec.Command(linker, "-m64", "-o", filepath.Join(dir, "prog"), "go.o", "-lpthread")
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("link: %v, want exit status 3", err)
		}
		if stdout.String() != "to stdout\n" || stderr.String() != "cc: warning: to stderr\n" {
			t.Errorf("link: stdout %q, stderr %q: the compiler's streams should pass as they are", stdout.String(), stderr.String())
		}
	}
	got := calls(t, cc)
	if len(got) != 2 || got[0] != "-m64 -o "+filepath.Join(dir, "prog")+" go.o -lpthread" {
		t.Errorf("the compiler ran with %q, want the same link twice", got)
	}
}

// TestCompilerPathIsNoPattern: a compiler whose path holds a glob
// character is run by that path, for a question and for the link, and
// not as a pattern that names another file beside it.
func TestCompilerPathIsNoPattern(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	cc := fakeCompiler(t, dir, "cc?", `exit 0`)
	decoy := fakeCompiler(t, dir, "ccx", `exit 7`)
	linker, env := install(t, cc, "")
	if out, code := question(t, linker, env, "-no-pie"); code != 0 {
		t.Errorf("question: exit %d, %s; want the compiler's yes", code, out)
	}
	link := []string{"-m64", "-o", filepath.Join(dir, "prog"), "go.o"}
	if out, code := runLinker(t, linker, env, link...); code != 0 {
		t.Errorf("link: exit %d, %s; want the compiler's success", code, out)
	}
	if got := calls(t, cc); len(got) != 2 || got[1] != strings.Join(link, " ") {
		t.Errorf("%s ran with %q, want a question and then the link", cc, got)
	}
	if got := calls(t, decoy); got != nil {
		t.Errorf("%s ran with %q, want it left alone", decoy, got)
	}
}

// TestLinkRetriesWithCXX: go build links with the C++ compiler when the
// build has C++ files; a link the C compiler fails for want of the C++
// runtime runs again with the C++ compiler, and any other failure stands.
func TestLinkRetriesWithCXX(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	cc := fakeCompiler(t, dir, "cc", `case "$*" in *cxx.o*) echo "go.o: undefined reference to '__gxx_personality_v0'" >&2;; *) echo "go.o: undefined reference to 'sqrt'" >&2;; esac; exit 1`)
	cxx := fakeCompiler(t, dir, "cxx", `exit 0`)
	linker, env := install(t, cc, cxx)
	if out, code := runLinker(t, linker, env, "-o", filepath.Join(dir, "prog"), "cxx.o"); code != 0 {
		t.Errorf("C++ link: exit %d, %s; want the C++ compiler's success", code, out)
	}
	out, code := runLinker(t, linker, env, "-o", filepath.Join(dir, "prog"), "c.o")
	if code != 1 || !strings.Contains(out, "'sqrt'") {
		t.Errorf("C link: exit %d, %q; want the C compiler's failure", code, out)
	}
	if got := calls(t, cxx); len(got) != 1 {
		t.Errorf("the C++ compiler ran %d times, want once (for the C++ link only)", len(got))
	}
}

// TestInstallLeavesAnUnchangedLinker: a second session finds the linker
// as it is, so a link running it meanwhile is never disturbed.
func TestInstallLeavesAnUnchangedLinker(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := filepath.Join(t.TempDir(), "extld")
	path, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("a second Install replaced the linker")
	}
}

// TestToolchainsKeepTheirOwnAnswers: sessions with other compilers share
// the linker, and each gets its own compiler's answer to the same
// question.
func TestToolchainsKeepTheirOwnAnswers(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	yes := fakeCompiler(t, dir, "yes-cc", `exit 0`)
	no := fakeCompiler(t, dir, "no-cc", `echo "no-cc: error: unrecognized command-line option '-no-pie'" >&2; exit 1`)
	linker, err := Install(filepath.Join(dir, "extld"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, c := range []struct {
			cc   string
			want int
		}{{yes, 0}, {no, 1}} {
			if _, code := question(t, linker, withVars(os.Environ(), Environ(c.cc, "", os.Environ())), "-no-pie"); code != c.want {
				t.Errorf("%s answered %d, want %d", filepath.Base(c.cc), code, c.want)
			}
		}
	}
	if len(calls(t, yes)) != 1 || len(calls(t, no)) != 1 {
		t.Errorf("the compilers ran %d and %d times, want once each", len(calls(t, yes)), len(calls(t, no)))
	}
}

// TestFailureIsNoAnswer: a question the compiler fails for another reason
// than a refusal of the flag (out of memory; a full disk, reported under a
// toolchain path that holds "unknown") is asked again next time.
func TestFailureIsNoAnswer(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	for _, c := range []struct{ name, body, says string }{
		{"oom-cc", `echo "cc1: out of memory allocating 65536 bytes" >&2; exit 4`, "out of memory"},
		{"full-cc", `echo "/opt/x86_64-unknown-linux-gnu/bin/ld: cannot open output file: No space left on device" >&2; exit 1`, "No space"},
	} {
		cc := fakeCompiler(t, dir, c.name, c.body)
		linker, env := install(t, cc, "")
		for range 2 {
			if out, code := question(t, linker, env, "-no-pie"); code == 0 || !strings.Contains(out, c.says) {
				t.Errorf("%s: answer %d %q, want the compiler's failure", c.name, code, out)
			}
		}
		if got := calls(t, cc); len(got) != 2 {
			t.Errorf("%s ran %d times, want 2: a failure is not an answer to keep", c.name, len(got))
		}
	}
}

// TestLinkWritesNothing: a link leaves nothing beside the linker, errors
// included, so a full or read-only cache costs it nothing.
func TestLinkWritesNothing(t *testing.T) {
	t.Parallel()
	skipUnlessUnix(t)
	dir := t.TempDir()
	cc := fakeCompiler(t, dir, "cc", `echo "cc: error: bad" >&2; exit 1`)
	linker, env := install(t, cc, "g++")
	if out, code := runLinker(t, linker, env, "-o", filepath.Join(dir, "prog"), "go.o"); code != 1 || !strings.Contains(out, "bad") {
		t.Errorf("link: exit %d, %q; want the compiler's failure", code, out)
	}
	entries, err := os.ReadDir(filepath.Dir(linker))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the linker's directory holds %d files after a link, want the linker alone", len(entries))
	}
}

// TestLinkerForAReplayedLink: a replayed link's compiler gets the
// installed linker and the variables naming it (no C++ retry: go build
// chose the compiler), with a key of its own toolchain; a compiler of
// several words, the linker itself, or none keeps its link as it is.
func TestLinkerForAReplayedLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var said []string
	linker := Linker(dir, os.Environ(), func(line string) { said = append(said, line) })
	path, env := linker("gcc")
	if path != filepath.Join(dir, Name) {
		t.Fatalf("Linker(gcc) = %q, want the linker installed in %s", path, dir)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the linker is not installed: %v", err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if vars["GOLIVE_EXTLD_CC"] != "gcc" || vars["GOLIVE_EXTLD_TOOLS"] == "" || vars["GOLIVE_EXTLD_CXX"] != "" || len(vars) != 3 {
		t.Errorf("Linker(gcc) gave %q", env)
	}
	if _, clang := linker("clang"); slices.Contains(clang, "GOLIVE_EXTLD_TOOLS="+vars["GOLIVE_EXTLD_TOOLS"]) {
		t.Error("clang's links share gcc's toolchain key")
	}
	for _, cc := range []string{"", "gcc -m64", "'gcc'", path, "gcc -m64"} {
		if p, env := linker(cc); p != "" || env != nil {
			t.Errorf("Linker(%q) = %q, %q; want the link left as it is", cc, p, env)
		}
	}
	// Said once for each compiler left as it is, with what it costs.
	if len(said) != 2 || !strings.Contains(said[0], "gcc -m64") || !strings.Contains(said[0], "questions each time") {
		t.Errorf("said %q, want one line for each compiler of several words", said)
	}
}

// TestLinkerWhereItCannotInstall: where the linker cannot be written,
// links name the compiler go build named, and say why, once.
func TestLinkerWhereItCannotInstall(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var said []string
	linker := Linker(filepath.Join(file, "extld"), os.Environ(), func(line string) { said = append(said, line) })
	for range 2 {
		if p, env := linker("gcc"); p != "" || env != nil {
			t.Fatalf("Linker(gcc) = %q, %q under a file; want the link left as it is", p, env)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], "write the linker") {
		t.Errorf("said %q, want one line saying the linker could not be written", said)
	}
	spaced := filepath.Join(t.TempDir(), "a cache")
	if path, err := Install(spaced); err == nil || !strings.Contains(err.Error(), "space") {
		t.Errorf("Install under %q = %q, %v; want an error naming the space", spaced, path, err)
	}
	if _, err := os.Stat(spaced); err == nil {
		t.Errorf("Install wrote %s, which -extld cannot name", spaced)
	}
}
