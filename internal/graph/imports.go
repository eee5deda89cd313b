package graph

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
)

// header is a Go file's import block as read at a load, with the file's
// size and time when it was read: a file that changed while go list read
// it shows a time or size of its own afterwards.
type header struct {
	imports string
	size    int64
	mod     time.Time
}

// readImports reads the import block of every Go file of g (nil before
// the first load) and of changed.
func readImports(root string, g *Graph, changed []string) map[string]header {
	m := map[string]header{}
	read := func(f string) {
		if _, done := m[f]; done || !strings.HasSuffix(f, ".go") {
			return
		}
		if h, ok := readHeader(filepath.Join(root, filepath.FromSlash(f))); ok {
			m[f] = h
		}
	}
	if g != nil {
		for f := range g.Files {
			read(f)
		}
	}
	for _, f := range changed {
		read(f)
	}
	return m
}

// settle keeps of before (read just before go list started) the headers
// of the files that did not change since, and reads those of g's new Go
// files that did not change since go list started. A file left out was
// being saved while go list read it, perhaps half written: its next
// change makes the set load again (mayChange), whatever its imports.
func settle(root string, g *Graph, before map[string]header, started time.Time) map[string]header {
	m := map[string]header{}
	quiet := started.Add(-fileclock.Slack)
	for f := range g.Files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		name := filepath.Join(root, filepath.FromSlash(f))
		if h, ok := before[f]; ok {
			if fi, err := os.Stat(name); err == nil && fi.Size() == h.size && fi.ModTime().Equal(h.mod) {
				m[f] = h
			}
			continue
		}
		if h, ok := readHeader(name); ok && h.mod.Before(quiet) {
			m[f] = h
		}
	}
	return m
}

// readHeader reads name's import block, stamped with the size and time
// it had before the read.
func readHeader(name string) (header, bool) {
	fi, err := os.Stat(name)
	if err != nil {
		return header{}, false
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return header{}, false
	}
	return header{imports: imports(data), size: fi.Size(), mod: fi.ModTime()}, true
}

// imports is a Go file's import paths, one a line, or its parse error:
// either way two files with the same header give the same string.
func imports(src []byte) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, im := range f.Imports {
		b.WriteString(im.Path.Value)
		b.WriteByte('\n')
	}
	return b.String()
}
