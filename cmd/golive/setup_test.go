package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestUseColor checks the colour switch: always and never are obeyed
// whatever the writer and environment; auto means a terminal, no NO_COLOR
// (an empty one counts as unset, as no-color.org says) and a TERM other
// than dumb. It sets the environment, so it cannot run in parallel.
func TestUseColor(t *testing.T) {
	term := openTerminal(t)
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name    string
		mode    string
		w       io.Writer
		noColor string
		term    string
		want    bool
	}{
		{"auto on a terminal, NO_COLOR empty", "auto", term, "", "xterm-256color", true},
		{"auto with NO_COLOR", "auto", term, "1", "xterm-256color", false},
		{"auto with TERM=dumb", "auto", term, "", "dumb", false},
		{"auto on a file", "auto", file, "", "xterm-256color", false},
		{"auto on a buffer", "auto", &bytes.Buffer{}, "", "xterm-256color", false},
		{"always on a file", "always", file, "", "xterm-256color", true},
		{"always with NO_COLOR", "always", &bytes.Buffer{}, "1", "dumb", true},
		{"never on a terminal", "never", term, "", "xterm-256color", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.noColor)
			t.Setenv("TERM", tt.term)
			if got := useColor(tt.mode, tt.w); got != tt.want {
				t.Errorf("useColor(%q, %T) with NO_COLOR=%q TERM=%q = %v, want %v", tt.mode, tt.w, tt.noColor, tt.term, got, tt.want)
			}
		})
	}
}
