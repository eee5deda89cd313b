package airconf

import (
	"os"
	"strings"
	"testing"
)

// cliDoc is where golive init --from-air is documented.
const cliDoc = "../../docs/cli.md"

// TestDocsExample: the example of docs/cli.md's "Moving from air"
// converts, on Linux, to exactly the lines it shows, and what it shows
// of the .reload.toml is what golive writes, key by key in its order.
func TestDocsExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Moving from air\n")
	if !ok {
		t.Fatalf("%s: no section \"Moving from air\"", cliDoc)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	air, lines, written := fenced(t, section, "toml .air.toml"), fenced(t, section, "text"), fenced(t, section, "toml .reload.toml")

	got, notes, err := Convert([]byte(air), "linux")
	if err != nil {
		t.Fatal(err)
	}
	if text := formatNotes(notes); text != lines {
		t.Errorf("%s shows the lines:\n%s\nbut the conversion prints:\n%s", cliDoc, lines, text)
	}
	out := strings.Split(encode(t, writeAndLoad(t, got)), "\n")
	for line := range strings.Lines(written) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		i := 0
		for i < len(out) && out[i] != line {
			i++
		}
		if i == len(out) {
			t.Errorf("%s shows %q in .reload.toml, which golive does not write there (or not in that order)", cliDoc, line)
			continue
		}
		out = out[i+1:]
	}
}

// fenced is the text of the first code block of doc whose fence says
// info ("```toml .air.toml").
func fenced(t *testing.T, doc, info string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n```"+info+"\n")
	if !ok {
		t.Fatalf("%s: no block ```%s in \"Moving from air\"", cliDoc, info)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("%s: the block ```%s does not end", cliDoc, info)
	}
	return block + "\n"
}
