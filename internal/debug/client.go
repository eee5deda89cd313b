package debug

import (
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"strconv"
	"strings"
	"time"
)

// client is golive's own connection to delve's JSON-RPC API (version 2),
// with the few calls an in-place restart needs. The types are the parts
// of delve's service/api that golive reads; delve ignores the rest.
type client struct {
	rpc *rpc.Client
}

func dial(addr string, timeout time.Duration) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &client{rpc: jsonrpc.NewClient(conn)}, nil
}

func (c *client) Close() error { return c.rpc.Close() }

// call is rpc.Call with a bound: a delve that does not answer must not
// hold golive's loop. The connection is closed then, since the answer
// may still come.
func (c *client) call(method string, args, out any, limit time.Duration) error {
	return c.bounded(method, args, out, limit, true)
}

// bounded is call; closeLate says whether a late answer ends the
// connection (a command whose effect comes late) or is only dropped (a
// question, such as watch's).
func (c *client) bounded(method string, args, out any, limit time.Duration, closeLate bool) error {
	call := c.rpc.Go(method, args, out, make(chan *rpc.Call, 1))
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-call.Done:
		return call.Error
	case <-t.C:
		if closeLate {
			c.rpc.Close()
		}
		return fmt.Errorf("no answer within %s", limit)
	}
}

// Bounds of golive's calls. A halt waits for delve to take the target
// from whoever runs it: a DAP client (VS Code, nvim-dap) in a remote
// attach runs it again at once, and delve's halt then never returns.
const (
	quickCall   = 3 * time.Second
	restartCall = 30 * time.Second
)

type breakpoint struct {
	ID   int    `json:"id"`
	File string `json:"file"`
	Line int    `json:"line"`
}

type thread struct {
	File       string      `json:"file"`
	Line       int         `json:"line"`
	Breakpoint *breakpoint `json:"breakPoint"`
}

type debuggerState struct {
	Running       bool    `json:"Running"`
	Exited        bool    `json:"exited"`
	ExitStatus    int     `json:"exitStatus"`
	CurrentThread *thread `json:"currentThread"`
}

type stateOut struct {
	State *debuggerState
}

type discarded struct {
	Breakpoint *breakpoint `json:"breakpoint"`
	Reason     string      `json:"reason"`
}

type restartOut struct {
	DiscardedBreakpoints []discarded
}

type command struct {
	Name string `json:"name"`
}

type commandOut struct {
	State debuggerState
}

// state asks, without waiting for a running target to stop.
func (c *client) state() (*debuggerState, error) {
	var out stateOut
	if err := c.call("RPCServer.State", map[string]any{"NonBlocking": true}, &out, quickCall); err != nil {
		return nil, fmt.Errorf("delve State: %w", err)
	}
	if out.State == nil {
		return nil, fmt.Errorf("delve State: no state")
	}
	return out.State, nil
}

// targetExit reports whether delve's target has exited, and its status.
func (c *client) targetExit() (int, bool) {
	var out stateOut
	err := c.bounded("RPCServer.State", map[string]any{"NonBlocking": true}, &out, quickCall, false)
	if exited(err) {
		return exitStatus(err), true
	}
	if err == nil && out.State != nil && out.State.Exited {
		return out.State.ExitStatus, true
	}
	return 0, false
}

// exitStatus reads N from delve's "Process P has exited with status N".
func exitStatus(err error) int {
	s := err.Error()
	i := strings.LastIndex(s, "status ")
	if i < 0 {
		return -1
	}
	n, convErr := strconv.Atoi(strings.TrimSpace(s[i+len("status "):]))
	if convErr != nil {
		return -1
	}
	return n
}

func (c *client) halt() error {
	var out commandOut
	if err := c.call("RPCServer.Command", command{Name: "halt"}, &out, quickCall); err != nil {
		return fmt.Errorf("delve halt: %w", err)
	}
	return nil
}

// restart has delve run its target's binary again from its path, with
// the breakpoints set again in the new code.
func (c *client) restart() ([]discarded, error) {
	var out restartOut
	if err := c.call("RPCServer.Restart", map[string]any{"Rebuild": false}, &out, restartCall); err != nil {
		return nil, fmt.Errorf("delve Restart: %w", err)
	}
	return out.DiscardedBreakpoints, nil
}

// goOn continues the target. The call returns only when the target
// stops again (a breakpoint) or exits, so nothing waits for it.
func (c *client) goOn() {
	c.rpc.Go("RPCServer.Command", command{Name: "continue"}, &commandOut{}, make(chan *rpc.Call, 1))
}
