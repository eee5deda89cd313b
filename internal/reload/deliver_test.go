package reload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
)

// fakeHost is a program's end of the socket, played by the test.
type fakeHost struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialHost(t *testing.T, s *Server, hello message) *fakeHost {
	t.Helper()
	c, err := net.Dial("unix", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	h := &fakeHost{t: t, c: c, r: bufio.NewReader(c)}
	h.send(hello)
	return h
}

func (h *fakeHost) send(m message) {
	h.t.Helper()
	b, _ := json.Marshal(m)
	if _, err := h.c.Write(append(b, '\n')); err != nil {
		h.t.Fatal(err)
	}
}

// recv returns the next request, or ok false when the server closed.
func (h *fakeHost) recv() (m message, ok bool) {
	line, err := h.r.ReadBytes('\n')
	if err != nil {
		return m, false
	}
	if err := json.Unmarshal(line, &m); err != nil {
		h.t.Errorf("%v: %s", err, line)
	}
	return m, true
}

func listen(t *testing.T) *Server {
	t.Helper()
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testPlugin(dir string) *Plugin {
	return &Plugin{
		Tree: Tree{Dir: filepath.Join(dir, "greeter"), ImportPath: "example.com/app/greeter", Rel: "./greeter"},
		File: "/work/greeter-3.so", Attempt: 3, start: dir,
		vdir: filepath.Join(dir, "_golive/3/greeter"), vpath: "example.com/app/_golive/3/greeter", ovDir: "/work/3",
	}
}

func deliver(t *testing.T, s *Server, timeout time.Duration) (Loaded, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.Deliver(ctx, testPlugin("/src/app"))
}

func TestDeliverLoaded(t *testing.T) {
	t.Parallel()
	s := listen(t)
	if env := s.Env(); len(env) != 1 || env[0] != "GOLIVE_HOT="+s.Addr() {
		t.Errorf("Env() = %q", env)
	}
	type result struct {
		l   Loaded
		err error
	}
	done := make(chan result)
	go func() { // before the program connects: Deliver waits for it
		l, err := deliver(t, s, 10*time.Second)
		done <- result{l, err}
	}()
	h := dialHost(t, s, message{Type: "hello", PID: 42, Go: "go1.26"})
	req, _ := h.recv()
	if req.Type != "load" || req.Package != "example.com/app/greeter" || req.Path != "/work/greeter-3.so" {
		t.Fatalf("request %+v", req)
	}
	h.send(message{Type: "loaded", ID: req.ID + 100}) // a stale reply, skipped
	h.send(message{Type: "loaded", ID: req.ID, Gen: 2, Symbols: 3, OpenNS: 5e6, SwapNS: 1e3})
	r := <-done
	want := Loaded{PID: 42, Gen: 2, Symbols: 3, Open: 5 * time.Millisecond, Swap: time.Microsecond}
	if r.err != nil || r.l != want {
		t.Fatalf("Deliver = %+v, %v; want %+v", r.l, r.err, want)
	}
	if s.PID() != 42 {
		t.Errorf("PID() = %d", s.PID())
	}
}

func TestDeliverFailed(t *testing.T) {
	t.Parallel()
	s := listen(t)
	h := dialHost(t, s, message{Type: "hello", PID: 42})
	go func() {
		req, _ := h.recv()
		h.send(message{Type: "failed", ID: req.ID,
			Error: "hot: panic in init of example.com/app/greeter: boom at /src/app/_golive/3/greeter/boom.go:4 (example.com/app/_golive/3/greeter)"})
	}()
	_, err := deliver(t, s, 10*time.Second)
	var le *LoadError
	want := "hot: panic in init of example.com/app/greeter: boom at greeter/boom.go:4 (example.com/app/greeter)"
	if !errors.As(err, &le) || le.Message != want || le.Package != "example.com/app/greeter" {
		t.Fatalf("Deliver: %v\nwant %s", err, want)
	}
}

func TestDeliverToProgramThatCannotLoad(t *testing.T) {
	t.Parallel()
	s := listen(t)
	dialHost(t, s, message{Type: "hello", PID: 42, Reason: "this program cannot load plugins: it was built with CGO_ENABLED=0, and plugins need cgo"})
	_, err := deliver(t, s, 10*time.Second)
	var le *LoadError
	if !errors.As(err, &le) || le.Message != "hot: this program cannot load plugins: it was built with CGO_ENABLED=0, and plugins need cgo" {
		t.Fatalf("Deliver: %v", err)
	}
}

func TestDeliverWithoutProgram(t *testing.T) {
	t.Parallel()
	s := listen(t)
	_, err := deliver(t, s, 50*time.Millisecond)
	if !errors.Is(err, ErrNoProgram) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Deliver: %v", err)
	}
	// Something that is not hot connects and says nothing useful.
	c, _ := net.Dial("unix", s.Addr())
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	defer c.Close()
	if _, err := deliver(t, s, 50*time.Millisecond); !errors.Is(err, ErrNoProgram) {
		t.Fatalf("Deliver: %v", err)
	}
}

func TestDeliverToProgramThatDies(t *testing.T) {
	t.Parallel()
	s := listen(t)
	h := dialHost(t, s, message{Type: "hello", PID: 42})
	go func() {
		h.recv()
		h.c.Close() // os.Exit in the plugin's init
	}()
	_, err := deliver(t, s, 10*time.Second)
	if err == nil || !strings.HasPrefix(err.Error(), "program 42 went away while loading example.com/app/greeter") {
		t.Fatalf("Deliver: %v", err)
	}
	if s.PID() != 0 {
		t.Errorf("PID() = %d after the program went away", s.PID())
	}
}

func TestDeliverGivesUpOnSlowLoad(t *testing.T) {
	t.Parallel()
	s := listen(t)
	h := dialHost(t, s, message{Type: "hello", PID: 42})
	_, err := deliver(t, s, 50*time.Millisecond)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "program 42 did not finish loading") {
		t.Fatalf("Deliver: %v", err)
	}
	first, _ := h.recv()
	h.send(message{Type: "loaded", ID: first.ID}) // late
	go func() {
		req, _ := h.recv()
		h.send(message{Type: "loaded", ID: req.ID, Gen: 9})
	}()
	if l, err := deliver(t, s, 10*time.Second); err != nil || l.Gen != 9 {
		t.Fatalf("the next Deliver got %+v, %v", l, err)
	}
}

func TestNewerProgramReplacesOlder(t *testing.T) {
	t.Parallel()
	s := listen(t)
	old := dialHost(t, s, message{Type: "hello", PID: 1})
	waitPID(t, s, 1)
	dialHost(t, s, message{Type: "hello", PID: 2})
	waitPID(t, s, 2)
	if _, ok := old.recv(); ok {
		t.Error("the older program got a request")
	}
}

func waitPID(t *testing.T, s *Server, pid int) {
	t.Helper()
	testkit.Until(t, 0, fmt.Sprintf("PID() = %d", pid), func() bool { return s.PID() == pid })
}

func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := dialHost(t, s, message{Type: "hello", PID: 1})
	waitPID(t, s, 1)
	s.Close() // returns only once its goroutines have
	if _, ok := h.recv(); ok {
		t.Error("the connection is still open")
	}
	if _, err := os.Stat(s.Addr()); err == nil {
		t.Error("the socket is still there")
	}
}

// TestCloseWithoutProgram: nothing connected, so the accept goroutine
// waits in accept; Close must wake it, or it would wait for it forever.
func TestCloseWithoutProgram(t *testing.T) {
	t.Parallel()
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close still waits for the accept goroutine")
	}
	if _, err := os.Stat(s.Addr()); err == nil {
		t.Error("the socket is still there")
	}
	if c, err := net.Dial("unix", s.Addr()); err == nil {
		c.Close()
		t.Error("something still accepts on the socket")
	}
}

func TestListenWithLongPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Addr()) > maxSocketPath {
		t.Errorf("socket path %d bytes long", len(s.Addr()))
	}
	tmp := filepath.Dir(s.Addr())
	s.Close()
	if _, err := os.Stat(tmp); err == nil {
		t.Error("the temporary directory is still there")
	}
}
