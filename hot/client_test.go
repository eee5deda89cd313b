package hot

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// golive is the test's end of the socket.
type golive struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func connect(t *testing.T, ld loader) *golive {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "hot.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); serve(c, ld) }()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); <-done })
	s.SetDeadline(time.Now().Add(10 * time.Second))
	return &golive{t: t, c: s, r: bufio.NewReader(s)}
}

func (g *golive) recv() message {
	g.t.Helper()
	line, err := g.r.ReadBytes('\n')
	if err != nil {
		g.t.Fatal(err)
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		g.t.Fatalf("%v: %s", err, line)
	}
	return m
}

func (g *golive) send(m message) {
	g.t.Helper()
	b, _ := json.Marshal(m)
	if _, err := g.c.Write(append(b, '\n')); err != nil {
		g.t.Fatal(err)
	}
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/protocol")
	greet := Func(pkg, "Greet", func() string { return "linked" })
	builds := map[string]build{"v1.so": {"Greet": func() string { return "v1" }}, "bad.so": {}}
	g := connect(t, loader{open: func(_, path string) (lookupFunc, error) {
		if b, ok := builds[path]; ok {
			return b.lookup, nil
		}
		return nil, errOpen
	}})

	hello := g.recv()
	if hello.Type != "hello" || hello.PID != os.Getpid() || hello.Go == "" || hello.Reason != "" {
		t.Fatalf("hello = %+v", hello)
	}
	g.send(message{Type: "load", ID: 1, Package: pkg, Path: "v1.so"})
	if m := g.recv(); m.Type != "loaded" || m.ID != 1 || m.Symbols != 1 || m.Gen == 0 {
		t.Fatalf("reply = %+v", m)
	}
	if greet.Load()() != "v1" {
		t.Fatal("not swapped")
	}
	g.send(message{Type: "something new", ID: 2})
	g.send(message{Type: "load", ID: 3, Package: pkg, Path: "bad.so"})
	if m := g.recv(); m.Type != "failed" || m.ID != 3 || m.Error != "hot: "+pkg+".Greet: not in the new build: plugin: symbol Greet not found in plugin fake" {
		t.Fatalf("reply = %+v", m)
	}
	g.send(message{Type: "load", ID: 4, Package: pkg, Path: "other.so"})
	if m := g.recv(); m.Type != "failed" || m.Error != errOpen.Error() {
		t.Fatalf("reply = %+v", m)
	}
	if greet.Load()() != "v1" {
		t.Fatal("a failed load changed the code")
	}
}

func TestProtocolWithoutPluginSupport(t *testing.T) {
	t.Parallel()
	g := connect(t, loader{unsupported: "this program cannot load plugins: because", open: func(string, string) (lookupFunc, error) {
		return nil, errors.New("not called")
	}})
	if m := g.recv(); m.Reason != "this program cannot load plugins: because" {
		t.Fatalf("hello = %+v", m)
	}
	g.send(message{Type: "load", ID: 1, Package: "t.test/x", Path: "x.so"})
	if m := g.recv(); m.Type != "failed" || m.Error != "hot: this program cannot load plugins: because" {
		t.Fatalf("reply = %+v", m)
	}
}

// TestUnsupportedSaysWhy checks the stub's reason in this build.
func TestUnsupportedSaysWhy(t *testing.T) {
	t.Parallel()
	if unsupported == "" {
		t.Skip("this build loads plugins")
	}
	if _, err := openBuild("x", "x.so"); err == nil || err.Error() != unsupported {
		t.Fatalf("openBuild: %v", err)
	}
}
