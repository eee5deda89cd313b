package events

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/fatih/color"
)

// palette holds one colour per component. Each Logger has its own, so one
// writing JSON to a file and one writing text to a terminal can coexist
// (the global color.NoColor would switch both).
type palette struct {
	watch, build, run, golive, fail, dim *color.Color
	services                             []*color.Color // side processes' names
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		watch:  mk(color.FgCyan),
		build:  mk(color.FgYellow),
		run:    mk(color.FgGreen),
		golive: mk(color.FgMagenta),
		fail:   mk(color.FgRed, color.Bold),
		dim:    mk(color.Faint),
		services: []*color.Color{mk(color.FgBlue), mk(color.FgHiCyan), mk(color.FgHiMagenta), mk(color.FgHiYellow),
			mk(color.FgHiGreen), mk(color.FgHiBlue)},
	}
}

// text renders e as golive's line(s). Diagnostics are printed bare,
// "file:line:col: message" at the start of a line, because that is the
// shape every editor's error parser expects.
func (l *Logger) text(e Event) string {
	p := l.pal
	if e.Service != "" {
		switch e.Type {
		case Start, Ready, Exit, Stop, Output:
			return serviceText(p, e, max(l.width, serviceWidth))
		}
		// Another event of a service of several: its tag names the service.
		plain := e
		plain.Service = ""
		return serviceTag.ReplaceAllString(l.text(plain), "${1}["+e.Service+" $2]")
	}
	switch e.Type {
	case Change:
		return line(p.watch, "watch", describePaths(e.Paths, e.Count))
	case BuildStart:
		return line(p.build, "build", "building "+e.Package)
	case BuildOK:
		if e.Replayed {
			return line(p.build, "build", "built in "+ms(e.Duration)+" (compile and link only)")
		}
		return line(p.build, "build", "built in "+ms(e.Duration))
	case BuildFailed:
		return l.buildFailed(e)
	case Start:
		return line(p.run, "run", fmt.Sprintf("started pid %d", e.PID))
	case Reload:
		return line(p.run, "run", fmt.Sprintf("reloaded %s in pid %d in %s", e.Package, e.PID, ms(e.Duration)))
	case Ready:
		return line(p.run, "run", fmt.Sprintf("ready %s after the save", ms(e.Duration)))
	case Exit:
		return line(p.run, "run", fmt.Sprintf("pid %d %s", e.PID, exitText(e)))
	case Stop:
		return line(p.run, "run", stopText(e))
	case ProxyReady:
		return line(p.watch, "proxy", fmt.Sprintf("open %s (proxy for %s)", e.URL, e.Target))
	case BrowserReload:
		return line(p.watch, "proxy", browserText(e))
	case DebugReady:
		return debugReady(p, e)
	case DebugRestart:
		return debugRestart(p, e)
	case Watching:
		return line(p.golive, "golive", watching(e))
	case Ignored:
		return line(p.dim, "golive", fmt.Sprintf("ignored %s: %s", strings.Join(e.Paths, " "), e.Message))
	case Command:
		return commandText(p, e)
	case Warn, Error:
		return failText(p, e.Message)
	default:
		return line(p.golive, "golive", e.Message)
	}
}

func (l *Logger) buildFailed(e Event) string {
	// The summary comes last: editors take "[build] failed" as the end
	// of the build, so every diagnostic must be out before it.
	var b strings.Builder
	for _, d := range e.Diagnostics {
		b.WriteString(l.pal.fail.Sprint(d.String()) + "\n")
	}
	if e.Output != "" {
		b.WriteString(strings.TrimRight(e.Output, "\n") + "\n")
	}
	n := len(e.Diagnostics)
	b.WriteString(line(l.pal.fail, "build", fmt.Sprintf("failed in %s (%d %s)", ms(e.Duration), n, plural(n, "error"))))
	return b.String()
}

func line(c *color.Color, component, msg string) string {
	return c.Sprintf("[%s]", component) + " " + msg + "\n"
}

func describePaths(paths []string, count int) string {
	if count < len(paths) {
		count = len(paths)
	}
	switch {
	case count == 0:
		return "change"
	case count == 1:
		return paths[0] + " changed"
	default:
		return fmt.Sprintf("%s changed (+%d more)", paths[0], count-1)
	}
}

// debugReady says where delve is and what an editor's attach
// configuration is: VS Code's, which nvim-dap takes as is too.
func debugReady(p palette, e Event) string {
	host, port, _ := net.SplitHostPort(e.Address)
	return line(p.run, "debug", "delve listens on "+e.Address+"; attach your editor to it (docs/editors.md, \"Debugging\")") +
		line(p.run, "debug", fmt.Sprintf(`VS Code launch.json: {"type": "go", "request": "attach", "mode": "remote", "host": %q, "port": %s}`, host, port))
}

func debugRestart(p palette, e Event) string {
	var b strings.Builder
	b.WriteString(line(p.run, "debug", fmt.Sprintf("restarted pid %d in place under delve in %s; breakpoints kept", e.PID, ms(e.Duration))))
	for _, bp := range e.Discarded {
		b.WriteString(line(p.fail, "debug", fmt.Sprintf("breakpoint at %s:%d discarded: %s", bp.File, bp.Line, bp.Reason)))
	}
	return b.String()
}

func browserText(e Event) string {
	n := 0
	if e.Tabs != nil {
		n = *e.Tabs
	}
	tabs := fmt.Sprintf("%d %s", n, plural(n, "tab"))
	if e.CSS {
		return "swapped the stylesheets in " + tabs
	}
	return "reloaded " + tabs
}

func exitText(e Event) string {
	switch {
	case e.Signal != "":
		return "killed by " + e.Signal
	case e.Code != nil && *e.Code == 0:
		return "exited with code 0"
	case e.Code != nil:
		return fmt.Sprintf("exited with code %d", *e.Code)
	default:
		return "exited"
	}
}

func stopText(e Event) string {
	if e.Killed {
		return fmt.Sprintf("pid %d %s; killed", e.PID, e.Message)
	}
	return fmt.Sprintf("stopped pid %d in %s", e.PID, ms(e.Duration))
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// watching is the watching event's line; the directories are named only
// when known (graph mode).
func watching(e Event) string {
	s := fmt.Sprintf("watching the %d %s the build reads (%d embedded, %d outside the start directory)",
		e.Count, plural(e.Count, "file"), e.Embedded, e.Outside)
	switch {
	case e.Dirs == 1:
		s += " in 1 directory"
	case e.Dirs > 1:
		s += fmt.Sprintf(" in %d directories", e.Dirs)
	}
	return s
}

// commandText is what a command printed, then one line for it.
func commandText(p palette, e Event) string {
	var b strings.Builder
	if out := strings.TrimRight(e.Output, "\n"); out != "" {
		b.WriteString(out + "\n")
	}
	what := "ran"
	switch n := len(e.Paths); {
	case n == 1:
		what = "wrote " + e.Paths[0]
	case n > 1:
		what = fmt.Sprintf("wrote %s (+%d more)", e.Paths[0], n-1)
	}
	b.WriteString(line(p.build, "rule", fmt.Sprintf("%s %s in %s", e.Message, what, ms(e.Duration))))
	return b.String()
}

// failText is a warning or an error: its last line tagged, the lines
// before it (what a failed command printed) as they are.
func failText(p palette, msg string) string {
	msg = strings.TrimRight(msg, "\n")
	i := strings.LastIndexByte(msg, '\n')
	if i < 0 {
		return line(p.fail, "golive", msg)
	}
	return msg[:i+1] + line(p.fail, "golive", msg[i+1:])
}

// serviceText is an event of a side process: its name where the
// program's lines say "run".
func serviceText(p palette, e Event, width int) string {
	var msg string
	switch e.Type {
	case Start:
		msg = fmt.Sprintf("started pid %d", e.PID)
	case Ready:
		msg = fmt.Sprintf("ready after %s", ms(e.Duration))
	case Exit:
		msg = fmt.Sprintf("pid %d %s", e.PID, exitText(e))
	case Stop:
		msg = stopText(e)
	case Output:
		return p.service(e.Service).Sprintf("%-*s |", width, e.Service) + " " + e.Line + "\n"
	default:
		msg = e.Message
	}
	return line(p.service(e.Service), e.Service, msg)
}

// serviceTag is the tag at the start of a line, after its colour code:
// a service's name goes into it.
var serviceTag = regexp.MustCompile(`(?m)^((?:\x1b\[[0-9;]*m)?)\[(watch|build|run|golive|proxy|rule|debug)\]`)

// serviceWidth is the least width of a side process's or a service's
// name before its output lines, as docker compose pads them, so that
// the lines of two start in the same column; WithServiceWidth widens it
// to the longest name.
const serviceWidth = 10

// service is a side process's colour: one of a few, by its name, so it
// stays the same from line to line and from run to run.
func (p palette) service(name string) *color.Color {
	h := 0
	for _, c := range name {
		h = h*31 + int(c)
	}
	return p.services[(h%len(p.services)+len(p.services))%len(p.services)]
}
