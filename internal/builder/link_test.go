package builder

import (
	"errors"
	"testing"
)

// TestGoldLDFlags: gold is asked for when it is installed and the
// user's ldflags say nothing of the external linker.
func TestGoldLDFlags(t *testing.T) {
	t.Parallel()
	found := func(string) (string, error) { return "/usr/bin/ld.gold", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	for _, c := range []struct {
		ldflags string
		look    func(string) (string, error)
		want    string
	}{
		{"", found, "-extldflags=-fuse-ld=gold"},
		{"-X main.v=1", found, "-X main.v=1 -extldflags=-fuse-ld=gold"},
		{"", missing, ""},
		{"-extldflags=-static", found, "-extldflags=-static"},
		{"-linkmode=internal", found, "-linkmode=internal"},
		{"-extld clang", found, "-extld clang"},
	} {
		if got := goldLDFlags(c.ldflags, c.look); got != c.want {
			t.Errorf("goldLDFlags(%q) = %q, want %q", c.ldflags, got, c.want)
		}
	}
}
