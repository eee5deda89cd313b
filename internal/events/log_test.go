package events

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ev   Event
		want string
	}{
		{Event{Type: Change, Paths: []string{"main.go"}, Count: 1}, "[watch] main.go changed\n"},
		{Event{Type: Change, Paths: []string{"a.go", "b.go"}, Count: 40}, "[watch] a.go changed (+39 more)\n"},
		{Event{Type: BuildStart, Package: "./cmd/app"}, "[build] building ./cmd/app\n"},
		{Event{Type: BuildOK, Duration: 412345 * time.Microsecond}, "[build] built in 412ms\n"},
		{Event{Type: BuildFailed, Duration: 90 * time.Millisecond, Diagnostics: []Diagnostic{
			{File: "main.go", Line: 3, Column: 7, Message: "undefined: x"}, {File: "a/a.go", Line: 9, Message: "bad"}}},
			"main.go:3:7: undefined: x\na/a.go:9: bad\n[build] failed in 90ms (2 errors)\n"},
		{Event{Type: Start, PID: 42}, "[run] started pid 42\n"},
		{Event{Type: Exit, PID: 42, Code: Int(3)}, "[run] pid 42 exited with code 3\n"},
		{Event{Type: Exit, PID: 42, Signal: "SIGSEGV"}, "[run] pid 42 killed by SIGSEGV\n"},
		{Event{Type: Stop, PID: 42, Duration: 5 * time.Millisecond}, "[run] stopped pid 42 in 5ms\n"},
		{Event{Type: Stop, PID: 42, Killed: true, Message: "did not stop within 5s"}, "[run] pid 42 did not stop within 5s; killed\n"},
		{Event{Type: Error, Message: "boom"}, "[golive] boom\n"},
		{Event{Type: ProxyReady, URL: "http://127.0.0.1:8090/", Target: "http://127.0.0.1:8080"}, "[proxy] open http://127.0.0.1:8090/ (proxy for http://127.0.0.1:8080)\n"},
		{Event{Type: BrowserReload, Tabs: Int(2), Browsers: 1}, "[proxy] reloaded 2 tabs\n"},
		{Event{Type: BrowserReload, Tabs: Int(1), Browsers: 1, CSS: true}, "[proxy] swapped the stylesheets in 1 tab\n"},
		{Event{Type: DebugReady, Address: "127.0.0.1:2345", PID: 7},
			"[debug] delve listens on 127.0.0.1:2345; attach your editor to it (docs/editors.md, \"Debugging\")\n" +
				`[debug] VS Code launch.json: {"type": "go", "request": "attach", "mode": "remote", "host": "127.0.0.1", "port": 2345}` + "\n"},
		{Event{Type: DebugRestart, PID: 7, Duration: 855 * time.Millisecond, Discarded: []Breakpoint{{File: "answer.go", Line: 10, Reason: "no code at answer.go:10"}}},
			"[debug] restarted pid 7 in place under delve in 855ms; breakpoints kept\n[debug] breakpoint at answer.go:10 discarded: no code at answer.go:10\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		New(&b, Options{}).Emit(tt.ev)
		if b.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.ev.Type, b.String(), tt.want)
		}
	}
}

func TestColourIsPerLogger(t *testing.T) {
	t.Parallel()
	var on, off bytes.Buffer
	New(&on, Options{Color: true}).Emit(Event{Type: Start, PID: 1})
	New(&off, Options{Color: false}).Emit(Event{Type: Start, PID: 1})
	if !strings.Contains(on.String(), "\x1b[32m[run]") {
		t.Errorf("colour on: %q has no green prefix", on.String())
	}
	if strings.Contains(off.String(), "\x1b[") {
		t.Errorf("colour off: %q has escapes", off.String())
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	l := New(&b, Options{JSON: true, Color: true})
	l.Emit(Event{Type: BuildFailed, Duration: 1500 * time.Microsecond, Diagnostics: []Diagnostic{{File: "m.go", Line: 1, Column: 2, Message: "x"}}})
	l.Emit(Event{Type: Exit, PID: 7, Code: Int(0)})
	l.Emit(Event{Type: Reload, Package: "p", PID: 7, Duration: 3 * time.Millisecond, Open: 2900 * time.Microsecond, Swap: 100 * time.Microsecond})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", b.String())
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["type"] != "build_failed" || ev["duration_ms"] != 1.5 || ev["time"] == nil {
		t.Errorf("build_failed = %v", ev)
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Error("JSON carries colour escapes")
	}
	if !strings.Contains(lines[1], `"code":0`) {
		t.Errorf("exit code 0 must be present: %s", lines[1])
	}
	if !strings.Contains(lines[2], `"duration_ms":3,"open_ms":2.9,"swap_ms":0.1`) {
		t.Errorf("reload must carry its load and swap apart: %s", lines[2])
	}
}

// TestServiceText: a service's events name it: its program's lines in
// its own words, golive's lines about it in their tag, its output lines
// padded before a bar; in colour too.
func TestServiceText(t *testing.T) {
	t.Parallel()
	for _, color := range []bool{false, true} {
		var b strings.Builder
		l := New(&b, Options{Color: color}).WithService("api")
		l.Emit(Event{Type: BuildStart, Package: "./cmd/api"})
		l.Emit(Event{Type: Start, PID: 7})
		l.Emit(Event{Type: Output, Stream: "stdout", Line: "hello"})
		l.Emit(Event{Type: Start, PID: 8, Service: "css"})
		out := stripANSI(b.String())
		want := "[api build] building ./cmd/api\n[api] started pid 7\napi        | hello\n[css] started pid 8\n"
		if out != want {
			t.Errorf("color %v:\n%q\nwant\n%q", color, out, want)
		}
	}
}

func stripANSI(s string) string {
	return regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(s, "")
}

// TestServiceWidth: names longer than the least width widen the column
// of every output line alike.
func TestServiceWidth(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	l := New(&b, Options{}).WithServiceWidth(len("notifications"))
	l.Emit(Event{Type: Output, Line: "a", Service: "api"})
	l.Emit(Event{Type: Output, Line: "b", Service: "notifications"})
	if want := "api           | a\nnotifications | b\n"; b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
