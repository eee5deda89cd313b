package reload

import (
	"slices"
	"testing"
)

func TestCovers(t *testing.T) {
	t.Parallel()
	dirs := []string{"./greeter", "internal/pricing", "./greeter/deep"}
	tests := []struct {
		changed []string
		covered bool
		touched []string
	}{
		{[]string{"greeter/greeter.go"}, true, []string{"./greeter"}},
		{[]string{"greeter/sub/sub.go", "greeter/assets/x.html"}, true, []string{"./greeter"}},
		{[]string{"greeter/greeter.go", "internal/pricing/p.go"}, true, []string{"./greeter", "internal/pricing"}},
		{[]string{"greeter/deep/d.go"}, true, []string{"./greeter/deep"}}, // the deepest tree
		{[]string{"greeter"}, true, []string{"./greeter"}},                // a directory removed
		{[]string{"greeter/greeter.go", "main.go"}, false, []string{"./greeter"}},
		{[]string{"greeterx/g.go"}, false, nil},
		{[]string{"greeter/go.mod"}, false, nil},
		{[]string{"go.sum"}, false, nil},
		{[]string{"internal/pricing.go"}, false, nil},
		{nil, false, nil},
	}
	for _, tt := range tests {
		if got := Covers(dirs, tt.changed); got != tt.covered {
			t.Errorf("Covers(%q) = %v, want %v", tt.changed, got, tt.covered)
		}
		if got := Touched(dirs, tt.changed); !slices.Equal(got, tt.touched) {
			t.Errorf("Touched(%q) = %q, want %q", tt.changed, got, tt.touched)
		}
	}
	if Covers([]string{"."}, []string{"main.go"}) || Covers([]string{"../other"}, []string{"../other/x.go"}) {
		t.Error("the module root or a directory outside it is never a plugin tree")
	}
	if !Covers([]string{"/src/app/greeter"}, []string{"/src/app/greeter/g.go"}) {
		t.Error("absolute paths are not compared")
	}
}
