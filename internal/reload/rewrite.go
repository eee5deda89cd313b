package reload

import (
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// rewrite returns a Go file of a plugin tree as its copy needs it: the
// package clause renamed to pkgName (unless empty; go build wants package
// main for a plugin) and every import of from, or of a package below it,
// pointing at the same package below to.
//
// It edits the bytes at the positions go/parser finds rather than printing
// the syntax tree again: every line keeps its number and every byte not
// edited its column, so the compiler's errors in the copy are errors at
// the same places in the user's file, and need only their file name
// changed. (go/printer would reformat a file that is not gofmt'ed and
// move its lines.) Only the package clause and imports are parsed.
func rewrite(filename string, src []byte, pkgName, from, to string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	if pkgName != "" && f.Name.Name != pkgName {
		edits = append(edits, edit{off(f.Name.Pos()), off(f.Name.End()), pkgName})
	}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue // the parser accepted it, so it is quoted
		}
		if rest, ok := strings.CutPrefix(p, from); ok && (rest == "" || rest[0] == '/') {
			edits = append(edits, edit{off(imp.Path.Pos()), off(imp.Path.End()), strconv.Quote(to + rest)})
		}
	}
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	out := slices.Clone(src)
	for _, e := range edits {
		out = slices.Replace(out, e.start, e.end, []byte(e.text)...)
	}
	return out, nil
}
