package builder

import (
	"os/exec"
	"strings"
)

// LinkFlags returns ldflags with golive's settings for an external link,
// which only a cgo program makes: extld, when not empty, as the C
// compiler Go's linker runs (internal/extld, which keeps the answers to
// the linker's questions about the compiler's flags: about 200 ms of the
// benchmark's plugin fixture's 930 ms link), and for a program with
// [plugins] (plugins: its loader needs cgo) gold as the linker, when it is
// installed: gold linked that fixture 163 ms faster than GNU ld's default,
// bfd (docs/benchmarks.md, "The link" and "The plugin link"). They are
// added only when ldflags choose no linker themselves. A program that
// links internally reads neither.
func LinkFlags(ldflags, extld string, plugins bool) string {
	return linkFlags(ldflags, extld, plugins, exec.LookPath)
}

func linkFlags(ldflags, extld string, plugins bool, lookPath func(string) (string, error)) string {
	for _, f := range strings.Fields(ldflags) {
		if strings.HasPrefix(strings.TrimLeft(f, "-"), "extld") || strings.HasPrefix(strings.TrimLeft(f, "-"), "linkmode") {
			return ldflags // the user's linker settings stand
		}
	}
	if _, err := lookPath("ld.gold"); err == nil && plugins {
		ldflags = joinFlags(ldflags, "-extldflags=-fuse-ld=gold")
	}
	if extld != "" {
		ldflags = joinFlags(ldflags, "-extld="+extld)
	}
	return ldflags
}
