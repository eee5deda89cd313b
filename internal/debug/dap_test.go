package debug

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/golive-dev/golive/internal/testkit"
)

// dapClient is an editor speaking the Debug Adapter Protocol to delve's
// headless server, as VS Code and nvim-dap do in a remote attach.
type dapClient struct {
	conn net.Conn
	r    *bufio.Reader
	seq  int
	msgs chan dap.Message
}

func dialDAP(t *testing.T, addr string) *dapClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &dapClient{conn: conn, r: bufio.NewReader(conn), msgs: make(chan dap.Message, 100)}
	go func() {
		defer close(c.msgs)
		for {
			m, err := dap.ReadProtocolMessage(c.r)
			if err != nil {
				return
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return c
}

func (c *dapClient) send(t *testing.T, m dap.RequestMessage) {
	t.Helper()
	c.seq++
	r := m.GetRequest()
	r.Seq, r.Type = c.seq, "request"
	if err := dap.WriteProtocolMessage(c.conn, m); err != nil {
		t.Fatal(err)
	}
}

// await returns the next message that want accepts, passing over others.
func (c *dapClient) await(t *testing.T, what string, want func(dap.Message) bool) dap.Message {
	t.Helper()
	deadline := time.After(testkit.Timeout)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				t.Fatalf("DAP connection closed while waiting for %s", what)
			}
			if want(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s within %s", what, testkit.Timeout)
		}
	}
}

// TestDAPClientAcrossRestart: an editor attached over DAP (a remote
// attach, as VS Code and nvim-dap make) sets a breakpoint and runs the
// program; after an in-place restart the same connection is told that the
// new binary stopped there, and the handler answers with the new code.
func TestDAPClientAcrossRestart(t *testing.T) {
	d, dir, bin := startDebugged(t)
	c := dialDAP(t, d.prog.listen)
	c.send(t, &dap.InitializeRequest{Request: dap.Request{Command: "initialize"}, Arguments: dap.InitializeRequestArguments{AdapterID: "go", PathFormat: "path", LinesStartAt1: true, ColumnsStartAt1: true}})
	c.await(t, "initialize response", func(m dap.Message) bool { _, ok := m.(*dap.InitializeResponse); return ok })
	c.send(t, &dap.AttachRequest{Request: dap.Request{Command: "attach"}, Arguments: []byte(`{"mode":"remote"}`)})
	c.await(t, "attach response", func(m dap.Message) bool {
		r, ok := m.(*dap.AttachResponse)
		if ok && !r.Success {
			t.Fatalf("attach: %s", r.Message)
		}
		return ok
	})
	c.send(t, &dap.SetBreakpointsRequest{Request: dap.Request{Command: "setBreakpoints"}, Arguments: dap.SetBreakpointsArguments{
		Source: dap.Source{Path: filepath.Join(dir, "main.go")}, Breakpoints: []dap.SourceBreakpoint{{Line: handlerLine}},
	}})
	bp := c.await(t, "setBreakpoints response", func(m dap.Message) bool { _, ok := m.(*dap.SetBreakpointsResponse); return ok }).(*dap.SetBreakpointsResponse)
	if len(bp.Body.Breakpoints) != 1 || !bp.Body.Breakpoints[0].Verified {
		t.Fatalf("setBreakpoints: %+v", bp.Body)
	}
	c.send(t, &dap.ConfigurationDoneRequest{Request: dap.Request{Command: "configurationDone"}})
	c.await(t, "configurationDone response", func(m dap.Message) bool { _, ok := m.(*dap.ConfigurationDoneResponse); return ok })
	d.get(t, "/health")

	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v2", 3))
	build(t, dir, bin)
	if res := d.prog.Replace(bin); res.Err != nil {
		t.Fatalf("Replace with a DAP client attached: %v", res.Err)
	}
	d.get(t, "/health")
	answered := d.getLater("/")
	stopped := c.await(t, "a stopped event at the breakpoint", func(m dap.Message) bool {
		ev, ok := m.(*dap.StoppedEvent)
		if ok && ev.Body.Reason != "breakpoint" {
			t.Errorf("stopped event %+v: golive's own pause reached the editor", ev.Body)
		}
		return ok
	}).(*dap.StoppedEvent)
	c.send(t, &dap.ContinueRequest{Request: dap.Request{Command: "continue"}, Arguments: dap.ContinueArguments{ThreadId: stopped.Body.ThreadId}})
	if got := d.answer(t, answered); got != "v2" {
		t.Errorf("the handler answered %q, want v2", got)
	}

	// Stopped at the breakpoint in the editor when the next binary comes:
	// restarted all the same, the editor told it runs, and the breakpoint
	// hit again in the newer binary.
	go http.Get("http://127.0.0.1:" + d.port + "/")
	c.await(t, "the breakpoint hit again", func(m dap.Message) bool { _, ok := m.(*dap.StoppedEvent); return ok })
	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v3", 3))
	build(t, dir, bin)
	if res := d.prog.Replace(bin); res.Err != nil || !strings.Contains(res.Note, "stopped at a breakpoint") {
		t.Fatalf("Replace while the editor is stopped: %+v", res)
	}
	c.await(t, "a continued event", func(m dap.Message) bool { _, ok := m.(*dap.ContinuedEvent); return ok })
	d.get(t, "/health")
	answered = d.getLater("/")
	stopped = c.await(t, "a stopped event in the newer binary", func(m dap.Message) bool { _, ok := m.(*dap.StoppedEvent); return ok }).(*dap.StoppedEvent)
	c.send(t, &dap.ContinueRequest{Request: dap.Request{Command: "continue"}, Arguments: dap.ContinueArguments{ThreadId: stopped.Body.ThreadId}})
	if got := d.answer(t, answered); got != "v3" {
		t.Errorf("the handler answered %q, want v3", got)
	}
}

// fetch GETs path once and returns the body, or the error.
func (d *debugged) fetch(path string) string {
	resp, err := http.Get("http://127.0.0.1:" + d.port + path)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (d *debugged) answer(t *testing.T, answered <-chan string) string {
	t.Helper()
	select {
	case got := <-answered:
		return got
	case <-time.After(testkit.Timeout):
		t.Fatal("the handler did not answer after the continue")
	}
	return ""
}
