package debug

import (
	"bufio"
	"net"
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

// TestDAPClientRunningDoesNotHang: an editor attached over DAP (a remote
// attach, as VS Code and nvim-dap make) sets a breakpoint and runs the
// program. delve's DAP session then runs the target again after any halt
// that is not its own, so golive's halt cannot take it: Replace must
// report that within its bound (the loop then stops and starts delve),
// not hang the loop. The in-place restart of a DAP client's session is
// not solved (see the closing note of issue 14's session).
func TestDAPClientRunningDoesNotHang(t *testing.T) {
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
	d.get(t, "/health")

	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v2", 3))
	build(t, dir, bin)
	done := make(chan error, 1)
	go func() { done <- d.prog.Replace(bin).Err }()
	select {
	case err := <-done:
		if err == nil {
			t.Log("Replace succeeded with a running DAP client: delve now lets golive halt it; make this test the in-place one")
		} else if !strings.Contains(err.Error(), "no answer within") {
			t.Errorf("Replace: %v, want the bound's error", err)
		}
	case <-time.After(testkit.Timeout):
		t.Fatal("Replace hung with a DAP client attached")
	}
}
