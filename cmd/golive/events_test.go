package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// eventSchema is one row of the schema in docs/events.md.
type eventSchema struct {
	required, optional []string
}

// loadEventSchema reads the schema block of docs/events.md, so that the
// documentation is what the test checks against.
func loadEventSchema(path string) (map[string]eventSchema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block := regexp.MustCompile("(?s)```schema\n(.*?)```").FindSubmatch(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no ```schema block", path)
	}
	schema := map[string]eventSchema{}
	for _, line := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != 3 {
			return nil, fmt.Errorf("%s: bad schema row %q", path, line)
		}
		schema[strings.TrimSpace(cols[0])] = eventSchema{strings.Fields(cols[1]), strings.Fields(cols[2])}
	}
	return schema, nil
}

// checkevents FILE checks every line of FILE ("stderr" for the last
// command's stderr) against docs/events.md, and the order of the events
// that follow each change.
func cmdCheckEvents(ts *testscript.TestScript, neg bool, args []string) {
	schema, err := loadEventSchema("../../docs/events.md")
	ts.Check(err)
	var text string
	if args[0] == "stderr" {
		text = ts.ReadFile("stderr")
	} else {
		text = ts.ReadFile(args[0])
	}
	var types []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		typ, err := checkEvent(sc.Bytes(), schema)
		if err != nil {
			ts.Fatalf("%s:%d: %v: %s", args[0], n, err, sc.Text())
		}
		if !slices.Contains([]string{"output", "info", "warn", "watching", "ignored"}, typ) {
			types = append(types, typ)
		}
	}
	ts.Check(checkOrder(types))
	ts.Logf("%d events checked: %s", len(types), strings.Join(types, " "))
}

func checkEvent(line []byte, schema map[string]eventSchema) (string, error) {
	var ev map[string]any
	if err := json.Unmarshal(line, &ev); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	typ, _ := ev["type"].(string)
	s, ok := schema[typ]
	if !ok {
		return "", fmt.Errorf("type %q is not in the schema", typ)
	}
	if _, ok := ev["time"].(string); !ok {
		return "", fmt.Errorf("no time")
	}
	for _, f := range s.required {
		if _, ok := ev[f]; !ok {
			return "", fmt.Errorf("%s lacks %s", typ, f)
		}
	}
	for f := range ev {
		if f != "type" && f != "time" && !slices.Contains(s.required, f) && !slices.Contains(s.optional, f) {
			return "", fmt.Errorf("%s has field %s, which the schema does not list", typ, f)
		}
	}
	if typ == "build_failed" {
		diags, _ := ev["diagnostics"].([]any)
		for _, d := range diags {
			m, _ := d.(map[string]any)
			if m["file"] == nil || m["line"] == nil || m["message"] == nil {
				return "", fmt.Errorf("diagnostic %v lacks file, line or message", d)
			}
		}
	}
	return typ, nil
}

// checkOrder checks what follows each change: a build_start, then either
// build_failed, or build_ok then [stop] start [ready], or build_ok then
// debug_restart [ready] (in place under delve), or build_ok then
// reload (in process), or build_ok then build_start (a failed load falls
// back to a restart), or another change (the build was stale). Free-form
// lines (info, warn) and the watch set's (watching, ignored) may fall
// anywhere.
func checkOrder(types []string) error {
	for i, t := range types {
		if t != "change" {
			continue
		}
		rest := strings.Join(types[i+1:], " ")
		ok := regexp.MustCompile(`^build_start (build_failed|build_ok (reload|build_start|(stop )?start( ready)?|debug_restart( ready)?)|change)( |$)`).MatchString(rest)
		if !ok {
			return fmt.Errorf("after change #%d: %q", i, rest)
		}
	}
	return nil
}
