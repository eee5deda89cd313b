package proxy

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/golive-dev/golive/internal/events"
)

// hub is what the pages know: the browsers connected to /__golive/events,
// the program's state as the events tell it, and the failed build the
// pages show. Every method is safe for concurrent use; none blocks, since
// observe runs on the goroutine that emits an event.
type hub struct {
	session string // this golive's id: a page that saw another reloads
	service string // the service whose events move the pages; "": the program's
	// deps are the services the fronted one waits for (after): one that
	// restarts alone reloads the pages once it is ready again. Each maps
	// to whether it has a readiness check; depDue to a start not yet
	// followed by its ready.
	deps   map[string]bool
	depDue map[string]bool
	// replacing: a good build's program is to replace the one that
	// serves; a dependency's reload waits for the new one's.
	replacing bool
	editor    string // proxy.editor, the link pattern of a diagnostic
	dir       string // the start directory, which diagnostics are relative to
	// restarts: run.restart starts a program that exited again, so a
	// request then waits for it.
	restarts bool

	mu      sync.Mutex
	clients map[*client]struct{}
	nextID  int
	failed  *message // the last build's errors, until a good build
	due     bool     // a program started and the pages have not reloaded for it
	gen     int      // reloads sent: a page that saw another number missed one
	starts  int      // programs started, so a wait for one can tell it was replaced
	up      bool     // a program runs
	exited  bool     // it ended by itself; nothing starts until an edit
	build   bool     // a build runs
}

// client is one browser's connection, which serves all its tabs.
type client struct {
	id   int
	tabs int           // as the browser last said; 1 until it says
	ch   chan []byte   // messages, already encoded
	gone chan struct{} // closed when the hub drops it
}

// message is what a page is told, as JSON.
type message struct {
	Type        string       `json:"type"` // hello, reload, css, errors, clear
	Session     string       `json:"session,omitempty"`
	Conn        int          `json:"conn,omitempty"`
	Ready       bool         `json:"ready,omitempty"`  // hello: a program serves
	Gen         int          `json:"gen,omitempty"`    // hello, reload: the reloads sent so far
	Errors      *message     `json:"errors,omitempty"` // hello: the overlay to show
	Diagnostics []diagnostic `json:"diagnostics,omitempty"`
	Output      string       `json:"output,omitempty"`
}

type diagnostic struct {
	events.Diagnostic
	Href string `json:"href,omitempty"` // opens the editor at the line
}

func newHub(session, editor, dir string) *hub {
	return &hub{session: session, editor: editor, dir: dir, clients: map[*client]struct{}{}, build: true}
}

// clientBuffer is how many messages a browser may fall behind before the
// hub drops it; it reconnects and its hello brings it up to date.
const clientBuffer = 16

// join adds a browser and returns it with its hello.
func (h *hub) join() (*client, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	c := &client{id: h.nextID, tabs: 1, ch: make(chan []byte, clientBuffer), gone: make(chan struct{})}
	h.clients[c] = struct{}{}
	hello := message{Type: "hello", Session: h.session, Conn: c.id, Ready: h.up && !h.due, Gen: h.gen, Errors: h.failed}
	return c, encode(hello)
}

// leave removes a browser whose connection ended.
func (h *hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(c)
}

func (h *hub) drop(c *client) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.gone)
	}
}

// count is how many browsers are connected and how many tabs they serve.
func (h *hub) count() (browsers, tabs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		browsers++
		tabs += c.tabs
	}
	return browsers, tabs
}

// setTabs records how many tabs a browser's connection serves.
func (h *hub) setTabs(id, tabs int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.id == id {
			c.tabs = max(tabs, 0)
			return true
		}
	}
	return false
}

// send tells every browser m and returns how many tabs they serve, and
// how many browsers. A browser that cannot keep up is dropped rather than
// waited for.
func (h *hub) send(m message) (tabs, browsers int) {
	b := encode(m)
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- b:
			tabs += c.tabs
			browsers++
		default:
			h.drop(c)
		}
	}
	return tabs, browsers
}

// observe follows the session's events. It reports what the pages must
// be told now (a reload when the new program is ready, the errors of a
// failed build) and whether a dial for a new program should begin: the
// readiness check without run.ready, and the fallback when it gives up.
func (h *hub) observe(e events.Event) (tell *message, dial bool) {
	if e.Service != h.service {
		return h.observeDep(e), false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e.Type {
	case events.BuildStart:
		h.build = true
	case events.BuildFailed:
		h.build = false
		h.failed = h.errors(e)
		return h.failed, false
	case events.BuildOK:
		h.build, h.replacing = false, true
		if h.failed != nil {
			h.failed = nil
			return &message{Type: "clear"}, false
		}
	case events.Start, events.DebugRestart: // a new program, or delve's new target
		h.up, h.exited, h.due, h.replacing = true, false, true, false
		h.starts++
		return nil, true
	case events.Ready:
		return h.readyLocked(), false
	case events.Reload: // new plugin code serves in the same program
		h.due, h.replacing = false, false
		return h.reloadLocked(), false
	case events.Stop:
		h.up = false
	case events.Exit:
		h.up, h.exited, h.due, h.replacing = false, true, false, false
	}
	return nil, false
}

// dialed is the proxy's own check, without run.ready: the new program
// accepted a connection.
func (h *hub) dialed() *message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.readyLocked()
}

func (h *hub) readyLocked() *message {
	if !h.due || !h.up {
		return nil
	}
	h.due = false
	return h.reloadLocked()
}

// reloadLocked counts a reload, so that a page that missed it (it was in
// the back-forward cache, or dropped, or between two leading tabs) sees
// the number change in its next hello.
func (h *hub) reloadLocked() *message {
	h.gen++
	return &message{Type: "reload", Gen: h.gen}
}

// assets is a reload for files the pages load, with no new program.
func (h *hub) assets() *message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reloadLocked()
}

// hopeless reports that no program will answer until the user edits: the
// last build failed or the program exited, and nothing is building.
func (h *hub) hopeless() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.up && !h.build && ((h.exited && !h.restarts) || h.failed != nil)
}

// pending reports whether the pages still wait for the program of start
// number n to be ready.
func (h *hub) pending(n int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.due && h.up && h.starts == n
}

// started is the number of the latest start.
func (h *hub) started() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.starts
}

// running reports that a program runs.
func (h *hub) running() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

func (h *hub) errors(e events.Event) *message {
	m := &message{Type: "errors", Output: e.Output}
	for _, d := range e.Diagnostics {
		m.Diagnostics = append(m.Diagnostics, diagnostic{Diagnostic: d, Href: h.link(d)})
	}
	return m
}

// link fills the editor pattern for d: {path} is the file's absolute
// path, slash-separated with a leading slash (/C:/... on Windows) and
// escaped for a URL; {line} and {col} its position.
func (h *hub) link(d events.Diagnostic) string {
	if h.editor == "" {
		return ""
	}
	path := filepath.FromSlash(d.File)
	if !filepath.IsAbs(path) { // outside the start directory, go gives it whole
		path = filepath.Join(h.dir, path)
	}
	path = filepath.ToSlash(path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path // a Windows drive: vscode://file/C:/...
	}
	escaped := (&url.URL{Path: path}).EscapedPath()
	if q := strings.Index(h.editor, "?"); q >= 0 && q < strings.Index(h.editor, "{path}") {
		escaped = url.QueryEscape(path) // a query value (goland://open?file=…)
	}
	r := strings.NewReplacer(
		"{path}", escaped,
		"{line}", strconv.Itoa(d.Line),
		"{col}", strconv.Itoa(max(d.Column, 1)),
	)
	return r.Replace(h.editor)
}

func encode(m message) []byte {
	b, _ := json.Marshal(m) // message has only marshalable fields
	return b
}

// observeDep follows a service the fronted one waits for: when it alone
// restarted, the pages reload once it serves again (its ready event, or
// its start when it has no check) and the fronted program serves, unless
// that program is due for a reload of its own, which comes after both
// are ready.
func (h *hub) observeDep(e events.Event) *message {
	check, ok := h.deps[e.Service]
	if !ok {
		return nil // a side process's or an unrelated service's
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e.Type {
	case events.Start, events.DebugRestart:
		if check {
			h.depDue[e.Service] = true
			return nil
		}
	case events.Ready:
		if !h.depDue[e.Service] {
			return nil
		}
		h.depDue[e.Service] = false
	default:
		return nil
	}
	if !h.up || h.due || h.build || h.replacing {
		return nil
	}
	return h.reloadLocked()
}
