package rules

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// templ's development mode (templ generate --watch, TEMPL_DEV_MODE) has
// the program read each page's text from files at run time; the text is
// in its _templ.go too, as the default of every templruntime.WriteString
// call (the same calls templ writes outside development mode, where
// they are the text). A change of text only then rewrites the
// _templ.go while its code stays as it was: the program already serves
// the new text, and a build would only restart it. textOnly recognises
// such a rewrite by the file's hash with those defaults left out.

// devText matches the text argument of a development-mode write.
var devText = regexp.MustCompile(`(templruntime\.WriteString\([^,()]+, \d+, )"(?:[^"\\]|\\.)*"\)`)

// templCode is the hash of a _templ.go file's code: its bytes with the
// development-mode text left out.
func templCode(src []byte) [32]byte {
	return sha256.Sum256(devText.ReplaceAll(src, []byte(`${1}"")`)))
}

// templTexts keeps the code hash of every _templ.go golive has seen.
type templTexts struct {
	mu   sync.Mutex
	code map[string][32]byte // slash path relative to the root → code hash
}

// baseline records the code of every _templ.go under root, but in the
// directories no watcher looks into.
func (t *templTexts) baseline(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_templ.go") {
			if rel, err := filepath.Rel(root, p); err == nil {
				t.changed(root, filepath.ToSlash(rel))
			}
		}
		return nil
	})
}

// changed records rel's code and reports whether it differs from what
// was recorded before (a file not seen before has changed).
func (t *templTexts) changed(root, rel string) bool {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		delete(t.code, rel)
		return true
	}
	sum := templCode(src)
	old, known := t.code[rel]
	t.code[rel] = sum
	return !known || old != sum
}

// TextOnly drops from paths the _templ.go files that templ's development
// mode rewrote for a change of text only, and returns the rest and what
// it dropped. The first time a file is seen it is kept. Without
// Options.TemplDev it drops nothing: templ writes the same calls outside
// development mode, where the text is compiled in.
func (e *Engine) TextOnly(paths []string) (kept, dropped []string) {
	if !e.opts.TemplDev {
		return paths, nil
	}
	for _, p := range paths {
		if strings.HasSuffix(p, "_templ.go") && !e.templ.changed(e.opts.Dir, p) {
			dropped = append(dropped, p)
			continue
		}
		kept = append(kept, p)
	}
	return kept, dropped
}

// Baseline records the code of the project's _templ.go files, so that
// the first change of text only in each is recognised too; only in
// templ's development mode.
func (e *Engine) Baseline() {
	if e.opts.TemplDev {
		e.templ.baseline(e.opts.Dir)
	}
}
