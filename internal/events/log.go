// Package events writes golive's own lines: one Event per thing that happened,
// rendered as coloured text for people or as JSON lines for editors and
// scripts. The program's own output never passes through here.
package events

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Event types. The JSON schema of each is in docs/events.md.
const (
	Change      = "change"       // Paths changed on disk
	BuildStart  = "build_start"  // a go build began
	BuildOK     = "build_ok"     // it succeeded (Duration)
	BuildFailed = "build_failed" // it failed (Duration, Diagnostics)
	Start       = "start"        // the program started (PID)
	Reload      = "reload"       // new plugin code was loaded in process
	Ready       = "ready"        // the program answered its readiness check
	Exit        = "exit"         // the program exited by itself (Code or Signal)
	Stop        = "stop"         // golive stopped the program (PID, Duration)
	Info        = "info"         // anything else worth a line
	Warn        = "warn"         // a problem golive worked around
	Error       = "error"        // a problem golive could not work around
	Output      = "output"       // a line the program wrote (JSON mode only)

	ProxyReady    = "proxy_ready"    // the browser proxy listens (URL, Target)
	DebugReady    = "debug_ready"    // delve's server listens (Address)
	DebugRestart  = "debug_restart"  // delve restarted the program in place (Discarded)
	BrowserReload = "browser_reload" // open pages were told to reload (Tabs; CSS for a stylesheet swap)
	Watching      = "watching"       // the build graph's files are watched (Count, Embedded, Outside, Dirs)
	Ignored       = "ignored"        // -v: a changed path triggered nothing (Paths, Message: why)
	Command       = "command"        // a rule's or a command list's command succeeded (Message: its name, Duration, Output, Paths: the files it wrote)
)

// Diagnostic is one compile error, its file relative to the start directory.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	if d.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message)
	}
	return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
}

// Event is one thing that happened. Only the fields its Type uses are set.
type Event struct {
	Type        string        `json:"type"`
	Time        time.Time     `json:"time"`
	Paths       []string      `json:"paths,omitempty"`
	Count       int           `json:"count,omitempty"` // total paths when Paths is cut short
	Package     string        `json:"package,omitempty"`
	Duration    time.Duration `json:"-"`
	Millis      *float64      `json:"duration_ms,omitempty"`
	Open        time.Duration `json:"-"` // reload: plugin.Open in the program
	OpenMillis  *float64      `json:"open_ms,omitempty"`
	Swap        time.Duration `json:"-"` // reload: symbol look-up, checks and the switch
	SwapMillis  *float64      `json:"swap_ms,omitempty"`
	Diagnostics []Diagnostic  `json:"diagnostics,omitempty"`
	Output      string        `json:"output,omitempty"`   // build output that held no diagnostic
	Replayed    bool          `json:"replayed,omitempty"` // build_ok: compile and link replayed, no go build
	PID         int           `json:"pid,omitempty"`
	Code        *int          `json:"code,omitempty"`
	Signal      string        `json:"signal,omitempty"`
	Killed      bool          `json:"killed,omitempty"` // the stop needed SIGKILL
	Message     string        `json:"message,omitempty"`
	Stream      string        `json:"stream,omitempty"`    // output: "stderr"
	Line        string        `json:"line,omitempty"`      // output: the line, without its newline
	URL         string        `json:"url,omitempty"`       // proxy_ready: where the browser goes
	Target      string        `json:"target,omitempty"`    // proxy_ready: the program's address
	Tabs        *int          `json:"tabs,omitempty"`      // browser_reload: how many tabs were told
	Browsers    int           `json:"browsers,omitempty"`  // browser_reload: over how many connections
	CSS         bool          `json:"css,omitempty"`       // browser_reload: stylesheets swapped in place, no page load
	Address     string        `json:"address,omitempty"`   // debug_ready: delve's API address
	Discarded   []Breakpoint  `json:"discarded,omitempty"` // debug_restart: breakpoints the new code has no line for
	Embedded    int           `json:"embedded,omitempty"`  // watching: how many of the files are embedded
	Outside     int           `json:"outside,omitempty"`   // watching: how many lie outside the start directory
	Dirs        int           `json:"dirs,omitempty"`      // watching: how many directories are watched (graph mode)
	Service     string        `json:"service,omitempty"`   // start, ready, exit, stop, output: the side process's name ([[process]])
}

// Breakpoint is a debugger's breakpoint that a restart discarded.
type Breakpoint struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason,omitempty"`
}

// Options choose how a Logger renders.
type Options struct {
	JSON  bool // one JSON object per line instead of text
	Color bool // ANSI colours in text mode
}

// Logger renders events to one writer. It is safe for concurrent use.
type Logger struct {
	mu      *sync.Mutex // shared by the copies Also and Tap make: one writer, one lock
	w       io.Writer
	opts    Options
	pal     palette
	now     func() time.Time
	also    *Logger         // a second sink, such as --events FILE
	watch   []func(e Event) // observers, such as the browser proxy
	service string          // stamped on every event that names none (WithService)
	width   int             // of the names before output lines (WithServiceWidth)
}

// New returns a Logger writing to w.
func New(w io.Writer, opts Options) *Logger {
	return &Logger{mu: new(sync.Mutex), w: w, opts: opts, pal: newPalette(opts.Color), now: time.Now}
}

// Also returns l writing every event to other too.
func (l *Logger) Also(other *Logger) *Logger {
	c := *l
	c.also = other
	return &c
}

// Tap returns l calling fn with every event once it is written. fn runs
// on the emitting goroutine, so it must not block, and events emitted on
// two goroutines at once may reach it in either order. An event fn emits
// on l reaches fn again; emit on a logger that is not tapped instead.
func (l *Logger) Tap(fn func(Event)) *Logger {
	c := *l
	c.watch = append(slices.Clip(l.watch), fn)
	return &c
}

// WithService returns l stamping service on every event that names none:
// the logger of one service of several.
func (l *Logger) WithService(service string) *Logger {
	c := *l
	c.service = service
	return &c
}

// WithServiceWidth returns l padding the names before the output lines
// of services and side processes to n, the longest of them.
func (l *Logger) WithServiceWidth(n int) *Logger {
	c := *l
	c.width = n
	return &c
}

// Emit writes e, stamping its time when unset.
func (l *Logger) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	if e.Service == "" {
		e.Service = l.service
	}
	if l.also != nil {
		l.also.Emit(e)
	}
	var out []byte
	if l.opts.JSON {
		out = l.json(e)
	} else {
		out = []byte(l.text(e))
	}
	l.mu.Lock()
	l.w.Write(out) // a terminal that went away is no reason to stop golive
	l.mu.Unlock()
	for _, fn := range l.watch {
		fn(e)
	}
}

func (l *Logger) json(e Event) []byte {
	e.Millis, e.OpenMillis, e.SwapMillis = millis(e.Duration), millis(e.Open), millis(e.Swap)
	b, err := json.Marshal(e)
	if err != nil { // only unmarshalable types fail, and Event has none
		b = []byte(fmt.Sprintf(`{"type":"error","message":%q}`, err.Error()))
	}
	return append(b, '\n')
}

// Infof, Warnf and Errorf are shorthands for golive's free-form lines.
func (l *Logger) Infof(format string, args ...any) {
	l.Emit(Event{Type: Info, Message: fmt.Sprintf(format, args...)})
}

func (l *Logger) Warnf(format string, args ...any) {
	l.Emit(Event{Type: Warn, Message: fmt.Sprintf(format, args...)})
}

func (l *Logger) Errorf(format string, args ...any) {
	l.Emit(Event{Type: Error, Message: fmt.Sprintf(format, args...)})
}

// Changed is the change event for paths: the first ten, and how many.
func Changed(paths []string) Event {
	return Event{Type: Change, Paths: paths[:min(len(paths), 10)], Count: len(paths)}
}

// Int returns a pointer to n, for Event.Code.
func Int(n int) *int { return &n }

// millis is d in milliseconds with microsecond precision, or nil for none.
func millis(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	ms := float64(d.Microseconds()) / 1000
	return &ms
}
