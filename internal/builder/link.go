package builder

import (
	"os/exec"
	"strings"
)

// PluginLDFlags returns ldflags with golive's settings for the external
// link a program with [plugins] makes (the plugin loader needs cgo):
// gold as the linker, when it is installed, and extld, when not empty,
// as the C compiler Go's linker runs (internal/extld, which keeps the
// answers to the linker's questions about the compiler's flags). They
// are added only when ldflags choose no linker themselves. gold linked
// the benchmark's plugin fixture 163 ms faster than GNU ld's default,
// bfd, and the flag questions extld answers took about 200 ms of its 930
// ms link (docs/benchmarks.md, "The link" and "The plugin link").
// Programs that link internally read neither.
func PluginLDFlags(ldflags, extld string) string {
	return externalLDFlags(ldflags, extld, exec.LookPath)
}

func externalLDFlags(ldflags, extld string, lookPath func(string) (string, error)) string {
	for _, f := range strings.Fields(ldflags) {
		if strings.HasPrefix(strings.TrimLeft(f, "-"), "extld") || strings.HasPrefix(strings.TrimLeft(f, "-"), "linkmode") {
			return ldflags // the user's linker settings stand
		}
	}
	if _, err := lookPath("ld.gold"); err == nil {
		ldflags = joinFlags(ldflags, "-extldflags=-fuse-ld=gold")
	}
	if extld != "" {
		ldflags = joinFlags(ldflags, "-extld="+extld)
	}
	return ldflags
}
