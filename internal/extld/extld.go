// Package extld writes the C linker golive names to Go's linker for a
// program with [plugins] and its plugins, whose links are external (the
// plugin loader needs cgo), and for every replayed link: go build names
// a C compiler for each, and an external one (cgo of the program's own
// packages) runs it.
//
// Before each external link, Go's linker asks the C compiler whether it
// takes a flag, by compiling and linking a one-line C file (trivial.c)
// with it: four or five times a link, each a run of cc1, as, collect2 and
// ld, about 200 ms of a 930 ms link on the benchmark's plugin fixture.
// Their answers stay the same while the toolchain does. The linker extld
// writes is a shell script (extld.sh): it answers a question it has seen
// from a file, and runs the C compiler for every other call, the link
// itself included, with the arguments Go's linker gave, so the binary is
// the one the same link makes with the compiler named directly. A shell
// script, not golive's own binary: golive takes about 16 ms to start
// here, five times per link, and sh about 2.
package extld

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

//go:embed extld.sh
var script string

// Name is the linker's file name: the script's own hash in it, so two
// golive of other versions at once each run their own, and a kept
// recipe names the one its golive wrote.
var Name = func() string {
	sum := sha256.Sum256([]byte(script))
	return "golive-extld-" + hex.EncodeToString(sum[:4])
}()

// Install writes the linker into dir and returns its path, for -extld.
// The script is the same for every session and toolchain (Environ tells
// it which), so sessions of other projects, or with another compiler,
// share it; its path stays the same from one session of a golive to the
// next, so a kept recipe, whose key holds the build's flags, still holds.
// A path with a space or a quote is an error: -ldflags and -extld split
// on them.
func Install(dir string) (string, error) {
	path := filepath.Join(dir, Name)
	if strings.ContainsAny(path, " \t'\"") {
		return "", fmt.Errorf("golive's linker %s has a space or a quote in its path, which -extld cannot name", path)
	}
	if old, err := os.ReadFile(path); err != nil || string(old) != script {
		if err := write(path, script); err != nil {
			return "", fmt.Errorf("write the linker: %w", err)
		}
	}
	return path, nil
}

// Environ returns the variables a build's environment needs for the
// linker: the compilers as go env says them (cc and cxx), and a key of
// the toolchain the build's environment env finds, which the kept
// answers are filed under.
func Environ(cc, cxx string, env []string) map[string]string {
	return map[string]string{"GOLIVE_EXTLD_CC": cc, "GOLIVE_EXTLD_CXX": cxx, "GOLIVE_EXTLD_TOOLS": toolsID(cc, cxx, env)}
}

// Linker returns what names the linker, installed in dir, for a replayed
// link in place of the C compiler cc go build named, and the variables
// it needs in that link's environment (replay.Options.Linker); env is
// the build's. It gives "" for a compiler of several words or quotes,
// for the linker itself (a [plugins] build names it already), and where
// the linker cannot be installed: the link then names cc, as go build's
// did; say, when set, hears why, once. The C++ retry is off: go build
// named the C++ compiler itself for a build with C++ files.
func Linker(dir string, env []string, say func(string)) func(cc string) (string, []string) {
	if say == nil {
		say = func(string) {}
	}
	const cost = "asking it Go's linker's questions each time"
	install := sync.OnceValue(func() string {
		path, err := Install(dir)
		if err != nil {
			say(fmt.Sprintf("replayed links run the C compiler go build named, %s: %v", cost, err))
		}
		return path
	})
	var mu sync.Mutex
	keys := map[string]string{} // cc -> its toolchain key; "" for one of several words
	return func(cc string) (string, []string) {
		if cc == "" || strings.HasPrefix(filepath.Base(cc), "golive-extld-") {
			return "", nil
		}
		path := install()
		if path == "" {
			return "", nil
		}
		mu.Lock()
		defer mu.Unlock()
		key, ok := keys[cc]
		if !ok {
			if strings.ContainsAny(cc, " \t'\"\\") {
				say(fmt.Sprintf("replayed links run %s as go build named it, %s: golive's linker takes a compiler of one word", cc, cost))
			} else {
				key = toolsID(cc, "", env)
			}
			keys[cc] = key
		}
		if key == "" {
			return "", nil
		}
		return path, []string{"GOLIVE_EXTLD_CC=" + cc, "GOLIVE_EXTLD_CXX=", "GOLIVE_EXTLD_TOOLS=" + key}
	}
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

// toolsID sums up what the answers to the linker's questions depend on
// besides the questions: the compilers and the linkers they may choose
// (where they are, their size and time) and the variables that steer
// them. A new compiler or linker gives new keys.
func toolsID(cc, cxx string, env []string) string {
	h := sha256.New()
	look := lookIn(env)
	tools := []string{"ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold"}
	for _, c := range []string{cc, cxx} {
		if f := strings.Fields(c); len(f) > 0 {
			tools = append(tools, f[0])
		}
	}
	fmt.Fprintf(h, "%q\n", []string{"compilers", cc, cxx})
	for _, tool := range tools {
		fmt.Fprintf(h, "%q\n", []string{"tool", tool, look(tool)})
	}
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "PATH", "COMPILER_PATH", "GCC_EXEC_PREFIX", "LIBRARY_PATH", "LC_ALL", "LANG", "DEVELOPER_DIR", "SDKROOT":
			fmt.Fprintf(h, "%q\n", []string{"env", kv})
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// lookIn returns where a tool is found, on env's PATH unless it names a
// path, with its size and time, or "absent".
func lookIn(env []string) func(string) string {
	var dirs []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = filepath.SplitList(v)
		}
	}
	return func(tool string) string {
		candidates := []string{tool}
		if !strings.ContainsRune(tool, filepath.Separator) {
			candidates = candidates[:0]
			for _, d := range dirs {
				candidates = append(candidates, filepath.Join(d, tool))
			}
		}
		for _, p := range candidates {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return fmt.Sprintf("%s %d %d", p, st.Size(), st.ModTime().UnixNano())
			}
		}
		return "absent"
	}
}
