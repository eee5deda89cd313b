package builder

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/golive-dev/golive/internal/events"
)

func TestParseDiagnostics(t *testing.T) {
	t.Parallel()
	dir := filepath.FromSlash("/home/u/app")
	tests := []struct {
		name  string
		out   string
		diags []events.Diagnostic
		rest  string
	}{
		{
			name:  "relative with column",
			out:   "# example.com/app\n./main.go:5:2: undefined: x\n",
			diags: []events.Diagnostic{{File: "main.go", Line: 5, Column: 2, Message: "undefined: x"}},
		},
		{
			name:  "subdirectory and no column",
			out:   "# example.com/app/internal/a\ninternal/a/a.go:12: syntax error: unexpected }\n",
			diags: []events.Diagnostic{{File: "internal/a/a.go", Line: 12, Message: "syntax error: unexpected }"}},
		},
		{
			name:  "absolute below the start directory",
			out:   "/home/u/app/cmd/x/main.go:1:1: expected 'package', found 'EOF'\n",
			diags: []events.Diagnostic{{File: "cmd/x/main.go", Line: 1, Column: 1, Message: "expected 'package', found 'EOF'"}},
		},
		{
			name:  "outside the start directory stays as printed",
			out:   "../lib/l.go:3:9: undefined: y\n",
			diags: []events.Diagnostic{{File: "../lib/l.go", Line: 3, Column: 9, Message: "undefined: y"}},
		},
		{
			name: "continuation lines join the message",
			out:  "./main.go:7:6: cannot use s (variable of type string) as int value in assignment\n\thave string\n\twant int\n",
			diags: []events.Diagnostic{{File: "main.go", Line: 7, Column: 6,
				Message: "cannot use s (variable of type string) as int value in assignment have string want int"}},
		},
		{
			name:  "several, then too many errors",
			out:   "./a.go:1:1: one\n./b.go:2:2: two\n./b.go:3:3: too many errors\n",
			diags: []events.Diagnostic{{File: "a.go", Line: 1, Column: 1, Message: "one"}, {File: "b.go", Line: 2, Column: 2, Message: "two"}, {File: "b.go", Line: 3, Column: 3, Message: "too many errors"}},
		},
		{
			name:  "go.work",
			out:   "go: errors parsing go.work:\ngo.work:2: unknown directive: bogus\n",
			diags: []events.Diagnostic{{File: "go.work", Line: 2, Message: "unknown directive: bogus"}},
			rest:  "go: errors parsing go.work:",
		},
		{
			name: "no diagnostics",
			out:  "go: cannot find main module, but found .git/config in /x\n",
			rest: "go: cannot find main module, but found .git/config in /x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if filepath.Separator != '/' && tt.name == "absolute below the start directory" {
				t.Skip("unix paths")
			}
			diags, rest := ParseDiagnostics(tt.out, dir)
			if !reflect.DeepEqual(diags, tt.diags) {
				t.Errorf("diagnostics:\n got %+v\nwant %+v", diags, tt.diags)
			}
			if rest != tt.rest {
				t.Errorf("rest: got %q, want %q", rest, tt.rest)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"dev profile by default", Options{Package: "."},
			[]string{"build", "-o", "out", "-buildvcs=false", "-ldflags=-w", "."}},
		{"debug keeps DWARF", Options{Package: ".", Debug: true},
			[]string{"build", "-o", "out", "-buildvcs=false", "."}},
		{"-gcflags with -N keeps DWARF", Options{Package: ".", Flags: []string{"-gcflags=all=-N -l"}},
			[]string{"build", "-o", "out", "-buildvcs=false", "-gcflags=all=-N -l", "."}},
		{"user ldflags are merged", Options{Package: "./cmd/x", LDFlags: "-X main.v=1"},
			[]string{"build", "-o", "out", "-buildvcs=false", "-ldflags=-w -X main.v=1", "./cmd/x"}},
		{"ldflags in flags are merged too", Options{Package: ".", LDFlags: "-s", Flags: []string{"-ldflags", "-X a.b=c", "-race"}},
			[]string{"build", "-o", "out", "-buildvcs=false", "-ldflags=-w -s -X a.b=c", "-race", "."}},
		{"tags", Options{Package: ".", Tags: []string{"dev", "sqlite"}},
			[]string{"build", "-o", "out", "-buildvcs=false", "-ldflags=-w", "-tags=dev,sqlite", "."}},
		{"user buildvcs wins", Options{Package: ".", Flags: []string{"-buildvcs=true"}},
			[]string{"build", "-o", "out", "-ldflags=-w", "-buildvcs=true", "."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Args(tt.opts, "out")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
