package main

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoNet guards golive's memory: on Unix its binary must not link
// package net. net is its only cgo package (the cgo DNS resolver), so with
// it the normal build (CGO_ENABLED=1) is dynamically linked against libc,
// whose pages cost about 1.5 MB of resident memory. The readiness check
// and plugin delivery use internal/sock instead.
func TestNoNet(t *testing.T) {
	t.Parallel()
	for _, goos := range []string{"linux", "darwin", "freebsd"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderrOf(err))
			}
			for _, bad := range []string{"net", "runtime/cgo"} {
				if who := importers(string(out), bad); len(who) > 0 {
					t.Errorf("GOOS=%s: golive links %s, imported by %s", goos, bad, strings.Join(who, ", "))
				}
			}
		})
	}
}

// importers returns the packages in go list's lines ("pkg import...")
// that import pkg.
func importers(list, pkg string) []string {
	var who []string
	for line := range strings.Lines(list) {
		fields := strings.Fields(line)
		if len(fields) > 1 && slices.Contains(fields[1:], pkg) {
			who = append(who, fields[0])
		}
	}
	return who
}

func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}
