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
	wg       sync.WaitGroup
}

func listenFront(addr string) (*front, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("run.debug_listen %s: %w; another debugger holds it: stop it, or choose another address", addr, errors.Unwrap(err))
	}
	f := &front{ln: ln, sessions: map[*dapSession]bool{}}
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
	for s := range f.sessions {
		s.close()
	}
	f.mu.Unlock()
	f.wg.Wait()
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
	defer editor.Close()
	f.mu.Lock()
	backend := f.backend
	f.mu.Unlock()
	delve, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer delve.Close()
	r := bufio.NewReader(editor)
	first, err := r.Peek(1)
	if err != nil {
		return
	}
	if first[0] != 'C' { // DAP's Content-Length; anything else is delve's JSON-RPC
		go func() { io.Copy(delve, r); delve.Close() }()
		io.Copy(editor, delve)
		return
	}
	s := &dapSession{editor: editor, delve: delve, waiting: map[int]chan bool{}}
	f.mu.Lock()
	f.sessions[s] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.sessions, s)
		f.mu.Unlock()
	}()
	go s.fromEditor(r)
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
func (f *front) resume(sessions map[*dapSession]bool, limit time.Duration) (bool, error) {
	took := false
	for s, paused := range sessions {
		if paused {
			took = true
			if err := s.resume(limit, false); err != nil {
				return took, err
			}
		}
	}
	if took {
		return true, nil
	}
	for s := range sessions { // stopped at a breakpoint by the editor: run it, and say so
		return true, s.resume(limit, true)
	}
	return false, nil
}

// dapSession is one editor's DAP connection, passed through.
type dapSession struct {
	editor, delve net.Conn
	toDelve       sync.Mutex // writes to delve
	toEditor      sync.Mutex // writes to the editor

	mu          sync.Mutex
	running     bool // the session runs the program (its continue is in flight)
	thread      int
	seq         int
	waiting     map[int]chan bool // golive's requests, by seq: their success
	dropStopped chan struct{}     // set while golive's pause waits for its stopped event
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
		if ch, ok := s.waiting[h.RequestSeq]; ok {
			ch <- h.Success
			delete(s.waiting, h.RequestSeq)
		}
		return true
	case h.Type == "response" && h.Success && (h.Command == "configurationDone" || h.Command == "continue" ||
		h.Command == "next" || h.Command == "stepIn" || h.Command == "stepOut"):
		s.running = true
	case h.Type == "event" && h.Event == "continued":
		s.running = true
	case h.Type == "event" && h.Event == "stopped":
		s.running = false
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
	s.waiting[seq] = ch
	s.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"seq": seq, "type": "request", "command": command, "arguments": args})
	s.toDelve.Lock()
	err := dap.WriteBaseMessage(s.delve, msg)
	s.toDelve.Unlock()
	if err != nil {
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
	if err := s.request("pause", map[string]any{"threadId": thread}, limit); err != nil {
		return false, err
	}
	select {
	case <-stopped:
		return true, nil
	case <-time.After(limit):
		return false, fmt.Errorf("DAP pause: the program did not stop within %s", limit)
	}
}

// resume continues the program in this session. tell, when the editor
// saw the program stopped, has it told that it runs again.
func (s *dapSession) resume(limit time.Duration, tell bool) error {
	s.mu.Lock()
	thread := max(s.thread, 1)
	s.mu.Unlock()
	if err := s.request("continue", map[string]any{"threadId": thread}, limit); err != nil {
		return err
	}
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	if !tell {
		return nil
	}
	ev, _ := json.Marshal(map[string]any{"seq": 0, "type": "event", "event": "continued",
		"body": map[string]any{"threadId": thread, "allThreadsContinued": true}})
	s.toEditor.Lock()
	defer s.toEditor.Unlock()
	return dap.WriteBaseMessage(s.editor, ev)
}
