package signals

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestParse: every spelling of a name gives one signal, whose Name is the
// canonical spelling; an unknown name is refused with the list.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		short := strings.TrimPrefix(name, "SIG")
		for _, spelling := range []string{name, strings.ToLower(name), short, strings.ToLower(short), " " + name + " "} {
			sig, err := Parse(spelling)
			if err != nil {
				t.Fatalf("Parse(%q): %v", spelling, err)
			}
			if got := Name(sig); got != name {
				t.Errorf("Name(Parse(%q)) = %q, want %q", spelling, got, name)
			}
			if c, ok := Canonical(spelling); !ok || c != name {
				t.Errorf("Canonical(%q) = %q, %v", spelling, c, ok)
			}
		}
	}
	if _, err := Parse("SIGWINCH"); err == nil || !strings.Contains(err.Error(), Names()[0]) {
		t.Errorf("Parse(SIGWINCH) = %v, want an error listing the names", err)
	}
	if !slices.Contains(Names(), "SIGKILL") || Name(os.Kill) != "SIGKILL" {
		t.Errorf("SIGKILL is missing: %v", Names())
	}
}
