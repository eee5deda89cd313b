package events

import (
	"bytes"
	"sync"
)

// LineWriter turns what a program writes into one output event per line,
// so that in JSON mode every line on golive's stderr stays a whole JSON
// object even while the program writes to its own stderr.
type LineWriter struct {
	mu      sync.Mutex
	log     *Logger
	stream  string
	service string
	buf     []byte
}

// NewLineWriter returns a writer whose lines become output events.
func NewLineWriter(l *Logger, stream string) *LineWriter {
	return &LineWriter{log: l, stream: stream}
}

// NewServiceWriter is NewLineWriter for a side process's stream: its
// events carry the process's name.
func NewServiceWriter(l *Logger, stream, service string) *LineWriter {
	return &LineWriter{log: l, stream: stream, service: service}
}

// maxLine bounds a line without a newline, so a program that never
// writes one cannot make golive buffer without end.
const maxLine = 64 << 10

func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) >= maxLine {
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// Flush emits a last line that had no newline.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

func (w *LineWriter) emit(line []byte) {
	w.log.Emit(Event{Type: Output, Stream: w.stream, Service: w.service, Line: string(bytes.TrimSuffix(line, []byte("\r")))})
}
