package debug

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/google/go-dap"
)

// front is the address the editor attaches to (run.debug_listen): golive's
// own listener, in front of delve's private one. Most connections pass
// through as bytes. A DAP connection (VS Code, nvim-dap) passes through a
// session golive can pause and continue on the editor's behalf: delve's
// DAP session runs the program again after any halt but its own, so only
// a pause sent in that session lets delve restart the program in place,
// and only a continue sent in it has the new binary's breakpoints reported
// to the editor.
type front struct {
	ln       net.Listener
	mu       sync.Mutex
	backend  string // delve's address; a new delve has a new one
	sessions map[*dapSession]bool
	conns    map[net.Conn]bool // every connection, both ends, for Close
	closed   bool
	wg       sync.WaitGroup
}

func listenFront(addr string) (*front, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("run.debug_listen %s: %w; another debugger holds it: stop it, or choose another address", addr, errors.Unwrap(err))
	}
	f := &front{ln: ln, sessions: map[*dapSession]bool{}, conns: map[net.Conn]bool{}}
	f.wg.Go(f.serve)
	return f, nil
}

func (f *front) setBackend(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backend = addr
}

// Close stops accepting and ends every connection, and waits for them.
func (f *front) Close() {
	f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// track adds c to what Close ends, and reports false (closing c) when
// Close came first.
func (f *front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.conns[c] = true
	return true
}

func (f *front) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
	c.Close()
}

func (f *front) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Go(func() { f.handle(c) })
	}
}

func (f *front) handle(editor net.Conn) {
	if !f.track(editor) {
		return
	}
	defer f.untrack(editor)
	f.mu.Lock()
	backend := f.backend
	f.mu.Unlock()
	delve, err := net.Dial("tcp", backend)
	if err != nil || !f.track(delve) {
		return
	}
	defer f.untrack(delve)
	r := bufio.NewReader(editor)
	first, err := r.Peek(1)
	if err != nil {
		return
	}
	if first[0] != 'C' { // DAP's Content-Length; anything else is delve's JSON-RPC
		f.wg.Go(func() { io.Copy(delve, r); delve.Close() })
		io.Copy(editor, delve)
		return
	}
	s := &dapSession{editor: editor, delve: delve, waiting: map[int]ownRequest{}}
	f.mu.Lock()
	f.sessions[s] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.sessions, s)
		f.mu.Unlock()
	}()
	f.wg.Go(func() { s.fromEditor(r) })
	s.fromDelve(bufio.NewReader(delve))
}

// pause stops the DAP sessions that run the program and returns every
// session, with whether golive paused it, for resume.
func (f *front) pause(limit time.Duration) (map[*dapSession]bool, error) {
	f.mu.Lock()
	all := make(map[*dapSession]bool, len(f.sessions))
	for s := range f.sessions {
		all[s] = false
	}
	f.mu.Unlock()
	for s := range all {
		paused, err := s.pause(limit)
		if err != nil {
			return all, err
		}
		all[s] = paused
	}
	return all, nil
}

// resume continues the program in the sessions golive paused, or in one
// session if none ran it, and reports whether a session took it: else
// golive's own client continues it.
func (f *front) resume(sessions map[*dapSession]bool, limit time.Duration) bool {
	for s, paused := range sessions {
		if paused && s.resume(limit, false) == nil {
			return true // one session runs it: a second continue would wait behind it
		}
	}
	for s := range sessions { // stopped at a breakpoint by its editor: run it, and say so
		if s.stopped() && s.resume(limit, true) == nil {
			return true
		}
	}
	return false
}

// dapSession is one editor's DAP connection, passed through.
type dapSession struct {
	editor, delve net.Conn
	toDelve       sync.Mutex // writes to delve
	toEditor      sync.Mutex // writes to the editor

	mu          sync.Mutex
	running     bool // the session runs the program (its continue is in flight)
	halted      bool // its editor saw the program stop and not run since
	thread      int
	seq         int
	waiting     map[int]ownRequest // golive's requests, by seq
	dropStopped chan struct{}      // set while golive's pause waits for its stopped event
}

// ownRequest is one of golive's requests in a session, waiting for its
// answer.
type ownRequest struct {
	command string
	answer  chan bool // success
}

// ownSeq is where golive's request numbers start, far above an editor's.
const ownSeq = 1 << 30

// header is the part of a DAP message golive routes by.
type header struct {
	Type       string `json:"type"`
	Command    string `json:"command"`
	Event      string `json:"event"`
	RequestSeq int    `json:"request_seq"`
	Success    bool   `json:"success"`
	Body       struct {
		ThreadID int `json:"threadId"`
	} `json:"body"`
}

func (s *dapSession) close() {
	s.editor.Close()
	s.delve.Close()
}

func (s *dapSession) fromEditor(r *bufio.Reader) {
	defer s.close()
	for {
		msg, err := dap.ReadBaseMessage(r)
		if err != nil {
			return
		}
		s.toDelve.Lock()
		err = dap.WriteBaseMessage(s.delve, msg)
		s.toDelve.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *dapSession) fromDelve(r *bufio.Reader) {
	defer s.close()
	for {
		msg, err := dap.ReadBaseMessage(r)
		if err != nil {
			return
		}
		if s.own(msg) {
			continue
		}
		s.toEditor.Lock()
		err = dap.WriteBaseMessage(s.editor, msg)
		s.toEditor.Unlock()
		if err != nil {
			return
		}
	}
}

// own follows the session's state and reports the messages that answer
// golive, not the editor: they are not passed on.
func (s *dapSession) own(msg []byte) bool {
	var h header
	if json.Unmarshal(msg, &h) != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case h.Type == "response" && h.RequestSeq >= ownSeq:
		if req, ok := s.waiting[h.RequestSeq]; ok {
			if h.Success && req.command == "continue" {
				s.running, s.halted = true, false // in stream order: before any stop it leads to
			}
			req.answer <- h.Success
			delete(s.waiting, h.RequestSeq)
		}
		return true
	case h.Type == "response" && h.Success && (h.Command == "configurationDone" || h.Command == "continue" ||
		h.Command == "next" || h.Command == "stepIn" || h.Command == "stepOut"):
		s.running, s.halted = true, false
	case h.Type == "event" && h.Event == "continued":
		s.running, s.halted = true, false
	case h.Type == "event" && (h.Event == "exited" || h.Event == "terminated"):
		s.running = false
	case h.Type == "event" && h.Event == "stopped":
		s.running = false
		s.halted = s.dropStopped == nil // golive's own pause is not the editor's stop
		if h.Body.ThreadID != 0 {
			s.thread = h.Body.ThreadID
		}
		if s.dropStopped != nil {
			close(s.dropStopped)
			s.dropStopped = nil
			return true
		}
	}
	return false
}

// request sends golive's own request in the session and waits for delve's
// answer.
func (s *dapSession) request(command string, args any, limit time.Duration) error {
	s.mu.Lock()
	s.seq++
	seq := ownSeq + s.seq
	ch := make(chan bool, 1)
	s.waiting[seq] = ownRequest{command: command, answer: ch}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, seq)
		s.mu.Unlock()
	}()
	msg, _ := json.Marshal(map[string]any{"seq": seq, "type": "request", "command": command, "arguments": args})
	if err := s.write(&s.toDelve, s.delve, msg, limit); err != nil {
		return fmt.Errorf("DAP %s: %w", command, err)
	}
	select {
	case ok := <-ch:
		if !ok {
			return fmt.Errorf("DAP %s: delve refused it", command)
		}
		return nil
	case <-time.After(limit):
		return fmt.Errorf("DAP %s: no answer within %s", command, limit)
	}
}

// pause stops the program in this session, if the session runs it, and
// reports whether it did; the editor is not told.
func (s *dapSession) pause(limit time.Duration) (bool, error) {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return false, nil
	}
	stopped := make(chan struct{})
	s.dropStopped = stopped
	thread := max(s.thread, 1)
	s.mu.Unlock()
	clear := func() {
		s.mu.Lock()
		if s.dropStopped == stopped {
			s.dropStopped = nil
		}
		s.mu.Unlock()
	}
	if err := s.request("pause", map[string]any{"threadId": thread}, limit); err != nil {
		clear()
		return false, err
	}
	select {
	case <-stopped:
		return true, nil
	case <-time.After(limit):
		clear()
		return false, fmt.Errorf("DAP pause: the program did not stop within %s", limit)
	}
}

func (s *dapSession) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.halted
}

// write is golive's own write to one end, bounded: an editor that stops
// reading must not hold the loop.
func (s *dapSession) write(mu *sync.Mutex, c net.Conn, msg []byte, limit time.Duration) error {
	mu.Lock()
	defer mu.Unlock()
	c.SetWriteDeadline(time.Now().Add(limit))
	defer c.SetWriteDeadline(time.Time{})
	return dap.WriteBaseMessage(c, msg)
}

// resume continues the program in this session. tell, when the editor
// saw the program stopped, has it told that it runs again.
func (s *dapSession) resume(limit time.Duration, tell bool) error {
	s.mu.Lock()
	thread := max(s.thread, 1)
	s.mu.Unlock()
	if tell { // first: nothing can stop the program before the continue
		ev, _ := json.Marshal(map[string]any{"seq": 0, "type": "event", "event": "continued",
			"body": map[string]any{"threadId": thread, "allThreadsContinued": true}})
		if err := s.write(&s.toEditor, s.editor, ev, limit); err != nil {
			return err
		}
	}
	return s.request("continue", map[string]any{"threadId": thread}, limit)
}
