// Package extld writes the C linker golive names to Go's linker when a
// build links externally: a program with [plugins], and its plugins.
//
// Before each external link, Go's linker asks the C compiler whether it
// takes a flag, by compiling and linking a one-line C file (trivial.c)
// with it: four or five times a link, each a run of cc1, as, collect2 and
// ld, about 200 ms of a 930 ms link on the benchmark's plugin fixture.
// Their answers stay the same while the toolchain does. The linker extld
// writes is a shell script (extld.sh): it answers a question it has seen
// from a file, and runs the C compiler for every other call, the link
// itself included, with the arguments Go's linker gave, so the binary is
// the one go build makes. A shell script, not golive's own binary: golive
// takes about 16 ms to start here, five times per link, and sh about 2.
package extld

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/golive-dev/golive/internal/goenv"
)

// Name is the linker's file name.
const Name = "golive-extld"

//go:embed extld.sh
var script string

// Install writes the linker into dir and returns its path, for -extld.
// env is the build's environment. The path stays the same across
// sessions, so a kept recipe, whose key holds the build's flags, still
// holds.
func Install(dir string, env []string) (string, error) {
	path := filepath.Join(dir, Name)
	text := strings.Replace(script, "@TOOLS@", toolsID(env), 1)
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, []byte(text)) {
		if err := write(path, text); err != nil {
			return "", fmt.Errorf("write the linker: %w", err)
		}
	}
	return path, nil
}

// write replaces path whole: a link of another session may run it.
func write(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	if err := os.WriteFile(tmp, []byte(text), 0o755); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// toolsID sums up what the answers to the linker's questions, and go
// env's CC and CXX, depend on besides the questions: the compilers and
// linkers on PATH and the go command (where they are, their size and
// time), the go env file, and the variables that steer them. A new
// toolchain gives new keys, so no answer outlives its compiler.
func toolsID(env []string) string {
	h := sha256.New()
	look := lookIn(env)
	for _, tool := range []string{"go", "gcc", "g++", "clang", "clang++", "cc", "c++", "ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold"} {
		fmt.Fprintf(h, "%q\n", []string{"tool", tool, look(tool)})
	}
	fmt.Fprintf(h, "%q\n", []string{"go env file", fileID(goenv.File(env))})
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "PATH", "CC", "CXX", "GOENV", "GOROOT", "GOTOOLCHAIN", "COMPILER_PATH", "GCC_EXEC_PREFIX", "LIBRARY_PATH", "LC_ALL", "LANG":
			fmt.Fprintf(h, "%q\n", []string{"env", kv})
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// lookIn returns where a tool is found on env's PATH, with its size and
// time, or "absent".
func lookIn(env []string) func(string) string {
	var dirs []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = filepath.SplitList(v)
		}
	}
	return func(tool string) string {
		for _, d := range dirs {
			p := filepath.Join(d, tool)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return stamp(p, st)
			}
		}
		return "absent"
	}
}

// fileID is a file's path, size and time, or "absent".
func fileID(path string) string {
	st, err := os.Stat(path)
	if path == "" || err != nil {
		return "absent"
	}
	return stamp(path, st)
}

func stamp(path string, st os.FileInfo) string {
	return fmt.Sprintf("%s %d %d", path, st.Size(), st.ModTime().UnixNano())
}
