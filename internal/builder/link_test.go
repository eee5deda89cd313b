package builder

import (
	"errors"
	"testing"
)

// TestLinkFlags: golive's extld is named when there is one, and gold for
// a program with [plugins] when it is installed, as long as the user's
// ldflags say nothing of the external linker.
func TestLinkFlags(t *testing.T) {
	t.Parallel()
	found := func(string) (string, error) { return "/usr/bin/ld.gold", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	for _, c := range []struct {
		ldflags, extld string
		plugins        bool
		look           func(string) (string, error)
		want           string
	}{
		{"", "", true, found, "-extldflags=-fuse-ld=gold"},
		{"-X main.v=1", "", true, found, "-X main.v=1 -extldflags=-fuse-ld=gold"},
		{"", "", true, missing, ""},
		{"", "", false, found, ""},
		{"", "/c/golive-extld", true, found, "-extldflags=-fuse-ld=gold -extld=/c/golive-extld"},
		{"-w", "/c/golive-extld", false, found, "-w -extld=/c/golive-extld"},
		{"-w", "/c/golive-extld", true, missing, "-w -extld=/c/golive-extld"},
		{"-extldflags=-static", "/c/golive-extld", true, found, "-extldflags=-static"},
		{"-linkmode=internal", "/c/golive-extld", false, found, "-linkmode=internal"},
		{"-extld clang", "/c/golive-extld", true, found, "-extld clang"},
	} {
		if got := linkFlags(c.ldflags, c.extld, c.plugins, c.look); got != c.want {
			t.Errorf("linkFlags(%q, %q, %v) = %q, want %q", c.ldflags, c.extld, c.plugins, got, c.want)
		}
	}
}
