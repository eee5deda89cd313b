package builder

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/golive-dev/golive/internal/events"
)

// diagLine matches go build's "file:line:col: message" and "file:line: message".
var diagLine = regexp.MustCompile(`^([^\s:][^:]*\.(?:go|s|c|h|cc|cpp|mod|sum|work|tmpl)):(\d+)(?::(\d+))?: (.*)$`)

// ParseDiagnostics splits go build's output into diagnostics, with files
// made relative to dir (the directory golive started in, which is what
// editors resolve them against), and the rest of the output. Package
// headers ("# example.com/app") are dropped; tab-indented continuation
// lines are joined to the diagnostic above them.
func ParseDiagnostics(out, dir string) ([]events.Diagnostic, string) {
	var diags []events.Diagnostic
	var rest []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		if m := diagLine.FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			diags = append(diags, events.Diagnostic{File: relPath(dir, m[1]), Line: line, Column: col, Message: m[4]})
			continue
		}
		if strings.HasPrefix(l, "\t") && len(diags) > 0 {
			d := &diags[len(diags)-1]
			d.Message += " " + strings.TrimSpace(l)
			continue
		}
		rest = append(rest, l)
	}
	return diags, strings.Join(rest, "\n")
}
