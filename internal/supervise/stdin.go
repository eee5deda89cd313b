package supervise

import (
	"io"
	"os"
)

// StdinMux forwards golive's stdin to whichever program runs now, across
// restarts. Each program gets the read end of a fresh pipe (a real file,
// so it inherits the descriptor); golive itself never gives up the
// terminal, so Ctrl-C still reaches it. Input that arrives while no
// program runs waits for the next one.
//
// Two goroutines: a reader blocked on golive's stdin (a blocking read
// cannot be interrupted; it ends at EOF or when golive exits), and a
// writer that owns the current pipe and the pending input, so that input
// keeps its order across a switch of pipe.
type StdinMux struct {
	data chan []byte
	next chan *os.File
	done chan struct{}
}

// NewStdinMux starts forwarding src.
func NewStdinMux(src io.Reader) *StdinMux {
	m := &StdinMux{data: make(chan []byte), next: make(chan *os.File), done: make(chan struct{})}
	go m.read(src)
	go m.write()
	return m
}

func (m *StdinMux) read(src io.Reader) {
	defer close(m.data)
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case m.data <- buf[:n]:
			case <-m.done:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

const maxPending = 1 << 20 // input kept for a program not started yet

func (m *StdinMux) write() {
	var w *os.File
	var pending []byte
	eof := false
	data := m.data
	for {
		select {
		case <-m.done:
			if w != nil {
				w.Close()
			}
			return
		case b, ok := <-data:
			if !ok {
				data, eof = nil, true
				if w != nil {
					w.Close() // pass the EOF on
					w = nil
				}
				continue
			}
			if w == nil {
				if len(pending)+len(b) <= maxPending {
					pending = append(pending, b...)
				}
				continue
			}
			// A program that stops reading blocks this write until its pipe
			// is retired (closed) by the next start or by Close.
			w.Write(b)
		case nw := <-m.next:
			if w != nil {
				w.Close()
			}
			w = nw
			if len(pending) > 0 {
				w.Write(pending)
				pending = nil
			}
			if eof {
				w.Close()
				w = nil
			}
		}
	}
}

// Next returns the stdin for a new program and retires the previous
// program's pipe. The caller closes the returned file once the program
// has started.
func (m *StdinMux) Next() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	select {
	case m.next <- w:
		return r, nil
	case <-m.done:
		r.Close()
		w.Close()
		return nil, os.ErrClosed
	}
}

// Close stops the writer; the reader ends with golive's stdin.
func (m *StdinMux) Close() { close(m.done) }
