package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[Duration]()
)

// scan checks a document against the shape of Config before go-toml
// decodes it, and records the line of every key it meets.
//
// go-toml's own strict mode finds the same mistakes, but its errors name
// the key imprecisely inside inline tables and word type errors after Go
// types ("struct field config.Build.Flags of type []string"). Walking the
// parsed document ourselves gives each mistake its full dotted key and a
// message in TOML's words, and the same walk yields the key → line index
// that Validate's errors need. The walk follows TOML's scoping: a [table]
// header sets the prefix of the keys under it, a dotted key descends one
// table per part, and an inline table is a table whose keys start at its
// own key. Keys under a header that is itself wrong are skipped, so one typo
// in a header is reported once.
//
// A syntax error is returned alone: what follows it was not parsed.
func scan(data []byte) (keys map[string]int, problems []*Error) {
	s := &scanner{lines: newLineTable(data), keys: map[string]int{}, elements: map[string]int{}}
	var p unstable.Parser
	p.Reset(data)
	cur := table{t: configType}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			cur = s.header(e)
		case unstable.KeyValue:
			if cur.t != nil {
				s.keyValue(cur, e)
			}
		}
	}
	if err := p.Error(); err != nil {
		return s.keys, []*Error{s.syntax(data, err)}
	}
	return s.keys, s.problems
}

type scanner struct {
	lines    lineTable
	keys     map[string]int
	problems []*Error
	elements map[string]int // how many [[key]] headers each array of tables had so far
}

// table is where the keys of the current expression start: the Go type
// they resolve against and its dotted key. A nil t skips the keys.
type table struct {
	t    reflect.Type
	path string
}

func (s *scanner) header(e *unstable.Node) table {
	t, path, line, ok := s.resolve(table{t: configType}, e.Key(), "table")
	switch {
	case !ok:
		return table{}
	case e.Kind == unstable.ArrayTable && isTableArray(t):
		// Each [[rule]] header opens the next element: rule[0], rule[1].
		key := indexKey(path, s.elements[path])
		s.elements[path]++
		s.mark(key, line)
		return table{t: t.Elem(), path: key}
	case e.Kind == unstable.ArrayTable:
		s.mismatch(line, path, t, "an array of tables")
		return table{}
	case isTableArray(t):
		s.mismatch(line, path, t, "a table")
		return table{}
	case !isTable(t):
		s.mismatch(line, path, t, "a table")
		return table{}
	}
	return table{t: t, path: path}
}

func (s *scanner) keyValue(cur table, e *unstable.Node) {
	t, path, line, ok := s.resolve(cur, e.Key(), "key")
	if ok {
		s.value(t, path, e.Value(), line)
	}
}

// resolve follows the parts of a key from a table down the Go types. The
// line returned is that of the last part, which is where an editor should
// jump even when a dotted key is split over lines.
func (s *scanner) resolve(from table, parts unstable.Iterator, noun string) (reflect.Type, string, int, bool) {
	t, path, line := from.t, from.path, 0
	for parts.Next() {
		k := parts.Node()
		line = s.line(k)
		if !isTable(t) {
			s.mismatch(line, path, t, "a table")
			return nil, "", 0, false
		}
		next, ok := child(t, string(k.Data))
		if !ok {
			s.unknown(line, t, path, string(k.Data), noun)
			return nil, "", 0, false
		}
		t, path = next, joinKey(path, string(k.Data))
		s.mark(path, line)
	}
	return t, path, line, true
}

func (s *scanner) value(t reflect.Type, path string, v *unstable.Node, line int) {
	switch {
	case t == durationType:
		if v.Kind != unstable.String {
			s.mismatch(line, path, t, got(v.Kind))
		} else if _, err := parseDuration(string(v.Data)); err != nil {
			s.add(keyErr(path, "%v", err), line)
		}
	case t.Kind() == reflect.Interface: // a command: a string or an array of strings
		if v.Kind == unstable.Array {
			s.array(reflect.TypeFor[[]string](), path, v, line)
		} else if v.Kind != unstable.String {
			s.add(keyErr(path, "want a string or an array of strings, got %s", got(v.Kind)), line)
		}
	case isTableArray(t) && v.Kind == unstable.Array:
		s.tableArray(t, path, v, line)
	case t.Kind() == reflect.Slice:
		s.array(t, path, v, line)
	case isTable(t):
		s.inlineTable(t, path, v, line)
	case v.Kind != scalarKind(t):
		s.mismatch(line, path, t, got(v.Kind))
	}
}

func (s *scanner) array(t reflect.Type, path string, v *unstable.Node, line int) {
	if v.Kind != unstable.Array {
		s.mismatch(line, path, t, got(v.Kind))
		return
	}
	i := 0
	for it := v.Children(); it.Next(); {
		el := it.Node()
		if el.Kind == unstable.Comment {
			continue
		}
		key, elLine := indexKey(path, i), line
		if l := s.line(el); l > 0 {
			elLine = l // a multi-line array: point at the element
		}
		s.mark(key, elLine)
		s.value(t.Elem(), key, el, elLine)
		i++
	}
}

// tableArray checks an array of tables written inline: rule = [{...}].
func (s *scanner) tableArray(t reflect.Type, path string, v *unstable.Node, line int) {
	for it := v.Children(); it.Next(); {
		el := it.Node()
		if el.Kind == unstable.Comment {
			continue
		}
		key := indexKey(path, s.elements[path])
		s.elements[path]++
		s.mark(key, line)
		s.inlineTable(t.Elem(), key, el, line)
	}
}

func (s *scanner) inlineTable(t reflect.Type, path string, v *unstable.Node, line int) {
	if v.Kind != unstable.InlineTable {
		s.mismatch(line, path, t, got(v.Kind))
		return
	}
	for it := v.Children(); it.Next(); {
		if kv := it.Node(); kv.Kind == unstable.KeyValue {
			s.keyValue(table{t: t, path: path}, kv)
		}
	}
}

// mark records the first line a key appears on; later duplicates are
// go-toml's to report.
func (s *scanner) mark(key string, line int) {
	if _, ok := s.keys[key]; !ok {
		s.keys[key] = line
	}
}

func (s *scanner) add(e *Error, line int) {
	e.Line = line
	s.problems = append(s.problems, e)
}

func (s *scanner) mismatch(line int, path string, t reflect.Type, gotWhat string) {
	s.add(keyErr(path, "want %s, got %s", want(t), gotWhat), line)
}

func (s *scanner) unknown(line int, t reflect.Type, path, name, noun string) {
	key := joinKey(path, name)
	msg := fmt.Sprintf("unknown %s %q", noun, key)
	// Only the first problem is printed, so only it earns a suggestion:
	// a file of thousands of unknown keys stays cheap to reject.
	if len(s.problems) == 0 {
		if hint := suggest(t, path, name); hint != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", hint)
		}
	}
	s.add(&Error{Key: key, Msg: msg}, line)
}

func (s *scanner) syntax(data []byte, err error) *Error {
	e := &Error{Msg: "syntax error: " + err.Error()}
	var pe *unstable.ParserError
	if errors.As(err, &pe) {
		// The highlight is a subslice of data; its distance from the end
		// of the shared backing array gives its offset. A highlight that
		// is not a subslice (nil) falls outside data and gets no line.
		if off := cap(data) - cap(pe.Highlight); off >= 0 && off <= len(data) {
			e.Line = s.lines.line(off)
		}
	}
	return e
}

// line is the line a node starts on, or 0 for nodes that carry no
// position (go-toml does not record one for arrays).
func (s *scanner) line(n *unstable.Node) int {
	if n.Raw.Length == 0 {
		return 0
	}
	return s.lines.line(int(n.Raw.Offset))
}

// lineTable holds the offsets of the newlines of a document, so that the
// line of an offset is a binary search, not a rescan of the document.
type lineTable []int

func newLineTable(data []byte) lineTable {
	var t lineTable
	for i, c := range data {
		if c == '\n' {
			t = append(t, i)
		}
	}
	return t
}

// line returns the 1-based line holding offset: one more than the number
// of newlines before it.
func (t lineTable) line(offset int) int {
	return sort.SearchInts(t, offset) + 1
}

// isTableArray reports whether t is an array of tables ([[rule]]).
func isTableArray(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

func isTable(t reflect.Type) bool {
	return t.Kind() == reflect.Struct || t.Kind() == reflect.Map
}

// child is the type of key name inside table type t.
func child(t reflect.Type, name string) (reflect.Type, bool) {
	if t.Kind() == reflect.Map {
		return t.Elem(), true
	}
	for i := range t.NumField() {
		if f := t.Field(i); tomlName(f) == name {
			return f.Type, true
		}
	}
	return nil, false
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

func scalarKind(t reflect.Type) unstable.Kind {
	switch t.Kind() {
	case reflect.String:
		return unstable.String
	case reflect.Bool:
		return unstable.Bool
	case reflect.Int, reflect.Int64:
		return unstable.Integer
	}
	return unstable.Invalid // a new field type needs a case here
}

// want describes a Go type in TOML's words.
func want(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration string like "5s" or "150ms"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return "an integer"
	case isTableArray(t):
		return "an array of tables"
	case t.Kind() == reflect.Slice:
		return "an array of " + plural(t.Elem())
	case t.Kind() == reflect.Map:
		return "a table of " + plural(t.Elem())
	case t.Kind() == reflect.Struct:
		return "a table"
	}
	return t.String()
}

func plural(t reflect.Type) string {
	if t.Kind() == reflect.String {
		return "strings"
	}
	return "values"
}

// got describes the kind of a TOML value.
func got(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Bool:
		return "a boolean"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable:
		return "an inline table"
	case unstable.DateTime, unstable.LocalDateTime:
		return "a date-time"
	case unstable.LocalDate:
		return "a date"
	case unstable.LocalTime:
		return "a time"
	}
	return k.String()
}
