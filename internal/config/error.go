package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is one mistake in the settings. It prints as one line:
//
//	.reload.toml:7: unknown key "watch.debounse" (did you mean "watch.debounce"?)
//	run.stop_timeout: negative duration "-1s"
//
// The second form, without a file, comes from Validate on values that
// flags or code set; cmd/golive can map Key to the flag that set it.
type Error struct {
	File string // the path given to Load; empty for Validate alone
	Line int    // 1-based line of the key; 0 when unknown
	Key  string // dotted key, e.g. "run.stop_timeout", "watch.exclude[1]"; empty for syntax errors
	Msg  string // what is wrong, naming the key; no location
	More int    // further mistakes found in the same file after this one
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	switch {
	case e.More == 1:
		b.WriteString(" (and 1 more error)")
	case e.More > 1:
		fmt.Fprintf(&b, " (and %d more errors)", e.More)
	}
	return b.String()
}

// oneLine keeps an error on one line whatever a file smuggles into it
// (a quoted key may hold a newline), because callers print it as one.
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// keyErr is an Error about key whose message starts with the key.
func keyErr(key, format string, args ...any) *Error {
	return &Error{Key: key, Msg: key + ": " + fmt.Sprintf(format, args...)}
}

// joinKey appends one part to a dotted key, quoting parts that are not bare
// TOML keys so that "build.env.\"A.B\"" stays unambiguous. The same spelling
// is used when indexing a file and when validating, so lookups match.
func joinKey(path, part string) string {
	if !isBareKey(part) {
		part = strconv.Quote(part)
	}
	if path == "" {
		return part
	}
	return path + "." + part
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func indexKey(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
