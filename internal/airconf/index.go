package airconf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// airKeys are the keys air reads (air v1.67's runner/config.go), by
// table; "*" marks an array of tables or a table of tables whose keys
// are those of the named table.
var airKeys = map[string][]string{
	"":            {"root", "tmp_dir", "testdata_dir", "env_files", "build", "color", "log", "misc", "screen", "proxy"},
	"build":       {"pre_cmd", "cmd", "post_cmd", "bin", "entrypoint", "full_bin", "args_bin", "log", "include_ext", "exclude_dir", "include_dir", "exclude_file", "include_file", "exclude_regex", "exclude_unchanged", "ignore_dangerous_root_dir", "follow_symlink", "poll", "poll_interval", "delay", "stop_on_error", "send_interrupt", "kill_delay", "rerun", "rerun_delay", "rules", "windows", "darwin", "linux"},
	"build.os":    {"pre_cmd", "cmd", "post_cmd", "bin", "entrypoint", "full_bin", "args_bin"},
	"build.rules": {"name", "cmd", "include_dir", "include_ext", "include_file", "exclude_regex", "delay"},
	"color":       {"main", "watcher", "build", "runner", "mode", "app"},
	"log":         {"time", "main_only", "silent"},
	"misc":        {"clean_on_exit", "startup_banner"},
	"screen":      {"clear_on_rebuild", "keep_scroll"},
	"proxy":       {"enabled", "proxy_port", "app_port", "app_start_timeout"},
}

// tables are the keys that air reads as tables (or arrays of them).
var tables = map[string]bool{"build": true, "color": true, "log": true, "misc": true, "screen": true, "proxy": true,
	"build.windows": true, "build.darwin": true, "build.linux": true, "build.rules": true}

// schemaOf names the table of airKeys that a table's keys belong to.
func schemaOf(table string) string {
	switch {
	case table == "build.windows" || table == "build.darwin" || table == "build.linux":
		return "build.os"
	case strings.HasPrefix(table, "build.rules["):
		return "build.rules"
	}
	return table
}

// known reports whether air reads key (dotted, rules indexed) at all.
func known(key string) bool {
	table, name := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table, name = key[:i], key[i+1:]
	}
	keys, ok := airKeys[schemaOf(table)]
	if !ok {
		return false
	}
	for _, k := range keys {
		if k == name {
			return true
		}
	}
	return false
}

// index lists every key of an air document with its line, rules indexed
// ("build.rules[0].cmd"), in the order of the document.
type index struct {
	keys  []string
	lines map[string]int
}

func (ix *index) add(key string, line int) {
	if _, ok := ix.lines[key]; !ok {
		ix.keys = append(ix.keys, key)
		ix.lines[key] = line
	}
}

// line is key's line, or that of the nearest table above it that the
// document names; 0 when none.
func (ix *index) line(key string) int {
	for key != "" {
		if l, ok := ix.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// indexKeys walks the document as TOML scopes it: a [table] header sets
// the prefix of the keys below it, [[build.rules]] opens the next rule,
// a dotted key descends, an inline table holds keys of its own.
func indexKeys(data []byte) (*index, error) {
	ix := &index{lines: map[string]int{}}
	nl := newlines(data)
	lineOf := func(n *unstable.Node) int {
		if n.Raw.Length == 0 {
			return 0
		}
		return sort.SearchInts(nl, int(n.Raw.Offset)) + 1
	}
	var p unstable.Parser
	p.Reset(data)
	prefix := ""
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			key, line := joinParts(e.Key(), lineOf)
			if e.Kind == unstable.ArrayTable {
				i := arrays[key]
				arrays[key]++
				key = fmt.Sprintf("%s[%d]", key, i)
			}
			ix.add(key, line)
			prefix = key
		case unstable.KeyValue:
			indexValue(ix, prefix, e, lineOf)
		}
	}
	if err := p.Error(); err != nil {
		return nil, err
	}
	return ix, nil
}

func indexValue(ix *index, prefix string, kv *unstable.Node, lineOf func(*unstable.Node) int) {
	key, line := joinParts(kv.Key(), lineOf)
	if prefix != "" {
		key = prefix + "." + key
	}
	ix.add(key, line)
	switch v := kv.Value(); v.Kind {
	case unstable.InlineTable:
		indexTable(ix, key, v, lineOf)
	case unstable.Array:
		// rules = [{...}, {...}] is [[build.rules]] written inline: its
		// tables are indexed as the headers' would be.
		for i, it := 0, v.Children(); it.Next(); i++ {
			if t := it.Node(); t.Kind == unstable.InlineTable {
				elem := fmt.Sprintf("%s[%d]", key, i)
				ix.add(elem, line)
				indexTable(ix, elem, t, lineOf)
			}
		}
	}
}

func indexTable(ix *index, prefix string, table *unstable.Node, lineOf func(*unstable.Node) int) {
	for it := table.Children(); it.Next(); {
		if c := it.Node(); c.Kind == unstable.KeyValue {
			indexValue(ix, prefix, c, lineOf)
		}
	}
}

func joinParts(it unstable.Iterator, lineOf func(*unstable.Node) int) (string, int) {
	var parts []string
	line := 0
	for it.Next() {
		n := it.Node()
		parts = append(parts, string(n.Data))
		line = lineOf(n)
	}
	return strings.Join(parts, "."), line
}

func newlines(data []byte) []int {
	var nl []int
	for i, c := range data {
		if c == '\n' {
			nl = append(nl, i)
		}
	}
	return nl
}
