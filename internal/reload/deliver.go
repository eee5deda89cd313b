package reload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// EnvVar is the environment variable that tells the program's hot library
// where golive listens: the path of a Unix socket. hot.EnvVar is the same.
const EnvVar = "GOLIVE_HOT"

// BuildTag is the build tag that compiles hot's plugin loader into the
// program. golive adds it to the program's build and, with every other
// flag, to the plugin builds.
const BuildTag = "golive"

// ErrNoProgram is returned by Deliver when no program is connected.
var ErrNoProgram = errors.New("no program connected to receive plugins")

// LoadError is the program's own account of a failed load: its message is
// the host's error, with the copy's paths turned into the user's.
type LoadError struct {
	Package string // the tree's import path
	Message string
}

func (e *LoadError) Error() string { return e.Message }

// Loaded is the program's report of a successful load.
type Loaded struct {
	PID     int
	Gen     int           // versions the program has loaded, this one included
	Symbols int           // how many symbols it swapped
	Open    time.Duration // plugin.Open, which runs the plugin's init functions
	Swap    time.Duration // looking up and checking the symbols, and the switch
}

// message is one JSON line of the protocol; hot's message is the other
// end (docs/plugins.md).
type message struct {
	Type    string `json:"type"`
	ID      int    `json:"id,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Go      string `json:"go,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Package string `json:"package,omitempty"`
	Path    string `json:"path,omitempty"`
	Gen     int    `json:"gen,omitempty"`
	Symbols int    `json:"symbols,omitempty"`
	OpenNS  int64  `json:"open_ns,omitempty"`
	SwapNS  int64  `json:"swap_ns,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Server is golive's end of the delivery channel: a Unix socket that the
// program's hot library connects to at start. It talks to the program
// that connected last; an earlier connection is closed when a newer
// program says hello.
type Server struct {
	ln     listener
	sock   string
	tmpDir string // made for the socket when dir's path was too long
	wg     sync.WaitGroup
	busy   chan struct{} // one Deliver at a time

	mu      sync.Mutex
	host    *host
	changed chan struct{} // closed and replaced when host changes
	closed  bool
	conns   map[conn]bool
	nextID  int
}

// listener is the socket's listener: golive's own on Unix
// (deliver_unix.go), package net's on Windows.
type listener interface {
	Accept() (conn, error)
	Close() error // and remove the socket file; a waiting Accept returns
}

// conn is one connection from a program: an *os.File on Unix, a net.Conn
// on Windows.
type conn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// host is one connected program.
type host struct {
	conn    conn
	hello   message
	replies chan message
	gone    chan struct{} // closed when the connection ends
}

// maxSocketPath is the shortest limit on a Unix socket's path (macOS: 104
// bytes with the terminating NUL; Linux: 108).
const maxSocketPath = 103

// Listen listens on dir/hot.sock, or in a new temporary directory when
// that path is too long for a Unix socket.
func Listen(dir string) (*Server, error) {
	s := &Server{busy: make(chan struct{}, 1), changed: make(chan struct{}), conns: map[conn]bool{}}
	s.sock = filepath.Join(dir, "hot.sock")
	if len(s.sock) > maxSocketPath {
		tmp, err := os.MkdirTemp("", "golive-")
		if err != nil {
			return nil, fmt.Errorf("listen for plugins: %w", err)
		}
		s.tmpDir, s.sock = tmp, filepath.Join(tmp, "hot.sock")
	}
	os.Remove(s.sock) // a socket left by a killed golive
	ln, err := listenUnix(s.sock)
	if err != nil {
		s.removeTmp()
		return nil, fmt.Errorf("listen for plugins: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Env returns the environment entries to give the program.
func (s *Server) Env() []string { return []string{EnvVar + "=" + s.sock} }

// Addr returns the socket's path.
func (s *Server) Addr() string { return s.sock }

// PID returns the pid of the connected program, or 0.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host == nil {
		return 0
	}
	return s.host.hello.PID
}

// Close stops listening, closes the connection and waits for the
// goroutines it owns.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	s.removeTmp()
	return err
}

func (s *Server) removeTmp() {
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.read(c)
	}
}

// read owns one connection: it waits for the hello, makes the program
// the current host, and passes its replies on until it ends.
func (s *Server) read(c conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	dec := json.NewDecoder(bufio.NewReader(c))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello message
	if dec.Decode(&hello) != nil || hello.Type != "hello" {
		return // not hot, or a program that died at once
	}
	c.SetReadDeadline(time.Time{})
	h := &host{conn: c, hello: hello, replies: make(chan message, 16), gone: make(chan struct{})}
	s.setHost(h)
	defer func() {
		close(h.gone)
		s.mu.Lock()
		if s.host == h {
			s.host = nil
			close(s.changed)
			s.changed = make(chan struct{})
		}
		s.mu.Unlock()
	}()
	for {
		var m message
		if dec.Decode(&m) != nil {
			return
		}
		select {
		case h.replies <- m:
		default: // replies of Deliver calls that gave up, piled up
		}
	}
}

func (s *Server) setHost(h *host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host != nil {
		s.host.conn.Close() // an older program: it must be gone or going
	}
	s.host = h
	close(s.changed)
	s.changed = make(chan struct{})
}

// Deliver has the connected program load p and returns its report, or
// the error the program gave (a *LoadError), or why it could not ask. It
// waits for a program to connect until ctx is done; give it a deadline.
// Whatever the error, the program runs the code it ran before, or has
// died trying: golive should restart it.
func (s *Server) Deliver(ctx context.Context, p *Plugin) (Loaded, error) {
	select {
	case s.busy <- struct{}{}:
		defer func() { <-s.busy }()
	case <-ctx.Done():
		return Loaded{}, ctx.Err()
	}
	h, err := s.waitHost(ctx)
	if err != nil {
		return Loaded{}, err
	}
	if h.hello.Reason != "" {
		return Loaded{}, &LoadError{Package: p.Tree.ImportPath, Message: "hot: " + h.hello.Reason}
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.mu.Unlock()
	req, _ := json.Marshal(message{Type: "load", ID: id, Package: p.Tree.ImportPath, Path: p.File})
	d, _ := ctx.Deadline()
	h.conn.SetWriteDeadline(d) // zero: none
	if _, err := h.conn.Write(append(req, '\n')); err != nil {
		return Loaded{}, fmt.Errorf("send plugin to program %d: %w", h.hello.PID, err)
	}
	for {
		select {
		case m := <-h.replies:
			if m.ID != id {
				continue // the late reply to a Deliver that gave up
			}
			if m.Type != "loaded" {
				return Loaded{}, &LoadError{Package: p.Tree.ImportPath, Message: p.userPaths(m.Error)}
			}
			return Loaded{PID: h.hello.PID, Gen: m.Gen, Symbols: m.Symbols,
				Open: time.Duration(m.OpenNS), Swap: time.Duration(m.SwapNS)}, nil
		case <-h.gone:
			return Loaded{}, fmt.Errorf("program %d went away while loading %s: it exited or crashed in the plugin's init "+
				"(a fatal error, os.Exit, or a panic on another goroutine)", h.hello.PID, p.Tree.ImportPath)
		case <-ctx.Done():
			return Loaded{}, fmt.Errorf("program %d did not finish loading %s: %w", h.hello.PID, p.Tree.ImportPath, ctx.Err())
		}
	}
}

func (s *Server) waitHost(ctx context.Context) (*host, error) {
	for {
		s.mu.Lock()
		h, changed := s.host, s.changed
		s.mu.Unlock()
		if h != nil {
			return h, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (does the program import github.com/golive-dev/golive/hot?): %w", ErrNoProgram, ctx.Err())
		}
	}
}
