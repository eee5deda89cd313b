package builder

import (
	"errors"
	"testing"
)

// TestExternalLDFlags: gold is asked for when it is installed, and
// golive's extld when there is one, as long as the user's ldflags say
// nothing of the external linker.
func TestExternalLDFlags(t *testing.T) {
	t.Parallel()
	found := func(string) (string, error) { return "/usr/bin/ld.gold", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	for _, c := range []struct {
		ldflags, extld string
		look           func(string) (string, error)
		want           string
	}{
		{"", "", found, "-extldflags=-fuse-ld=gold"},
		{"-X main.v=1", "", found, "-X main.v=1 -extldflags=-fuse-ld=gold"},
		{"", "", missing, ""},
		{"", "/c/golive-extld", found, "-extldflags=-fuse-ld=gold -extld=/c/golive-extld"},
		{"-w", "/c/golive-extld", missing, "-w -extld=/c/golive-extld"},
		{"-extldflags=-static", "/c/golive-extld", found, "-extldflags=-static"},
		{"-linkmode=internal", "/c/golive-extld", found, "-linkmode=internal"},
		{"-extld clang", "/c/golive-extld", found, "-extld clang"},
	} {
		if got := externalLDFlags(c.ldflags, c.extld, c.look); got != c.want {
			t.Errorf("externalLDFlags(%q, %q) = %q, want %q", c.ldflags, c.extld, got, c.want)
		}
	}
}
