package builder

import (
	"os/exec"
	"strings"
)

// PluginLDFlags returns ldflags with the external linker told to use
// gold, when gold is installed and ldflags choose no linker themselves.
// A program with [plugins] links externally (the plugin loader needs
// cgo), and there gold linked the benchmark's plugin fixture 163 ms
// faster than GNU ld's default, bfd (docs/benchmarks.md, "The link").
// Programs that link internally never read -extldflags.
func PluginLDFlags(ldflags string) string {
	return goldLDFlags(ldflags, exec.LookPath)
}

func goldLDFlags(ldflags string, lookPath func(string) (string, error)) string {
	for _, f := range strings.Fields(ldflags) {
		if strings.HasPrefix(strings.TrimLeft(f, "-"), "extld") || strings.HasPrefix(strings.TrimLeft(f, "-"), "linkmode") {
			return ldflags // the user's linker settings stand
		}
	}
	if _, err := lookPath("ld.gold"); err != nil {
		return ldflags
	}
	return joinFlags(ldflags, "-extldflags=-fuse-ld=gold")
}
