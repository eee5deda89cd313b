//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplAirConfigsAsQuoted holds the templ scenario's air set-ups that
// claim to be documented forms to the blocks docs/recipes.md quotes in its
// templ section: templ's .air.toml byte for byte with its own ports, and
// air's README's [[build.rules]] form followed by the proxy block the
// scenario adds.
func TestTemplAirConfigsAsQuoted(t *testing.T) {
	t.Parallel()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "docs", "recipes.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## templ\n")
	if !ok {
		t.Fatal("docs/recipes.md has no templ section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	block := func(fence string) string {
		_, rest, ok := strings.Cut(section, "\n```toml "+fence+"\n")
		if !ok {
			t.Fatalf("docs/recipes.md's templ section has no %s block", fence)
		}
		text, _, _ := strings.Cut(rest, "```\n")
		return text
	}
	if got, want := templAirDocsConfig(8282, 8383), block(".air.toml"); got != want {
		t.Errorf("templAirDocsConfig(8282, 8383) is not docs/recipes.md's templ .air.toml:\n%s\nwant:\n%s", got, want)
	}
	rules := templAirRulesConfig(8282, 8383)
	if want := block("air-rules.toml"); !strings.HasPrefix(rules, want+"\n[proxy]\n") {
		t.Errorf("templAirRulesConfig is not docs/recipes.md's air-rules.toml and then [proxy]:\n%s\nwant first:\n%s", rules, want)
	}
}
