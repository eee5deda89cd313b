package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// waiting is the proxy's transport: while the program restarts, a request
// waits for it instead of failing. An attempt the program did not answer
// (nothing listens yet, or the old program reset the connection as it
// stopped) is sent again with the same body, until the program answers,
// the wait is over, or the hub knows nothing will answer before an edit.
type waiting struct {
	base     *http.Transport
	wait     time.Duration
	hopeless func() bool
}

// maxReplay bounds the request body kept for a retry; a longer upload
// is sent once, as it streams.
const maxReplay = 64 << 20

func (t *waiting) RoundTrip(req *http.Request) (*http.Response, error) {
	var body *replayBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &replayBody{src: req.Body}
	}
	deadline := time.Now().Add(t.wait)
	pause := 10 * time.Millisecond
	for {
		try := req
		if body != nil {
			try = req.Clone(req.Context())
			try.Body = body.attempt()
			try.GetBody = nil // the transport's own retries would bypass ours
		}
		resp, err := t.base.RoundTrip(try)
		if err == nil || !notReady(err) || (body != nil && !body.replayable()) {
			return resp, err
		}
		if t.hopeless() || time.Now().Add(pause).After(deadline) {
			return nil, err
		}
		if err := sleep(req.Context(), pause); err != nil {
			return nil, err
		}
		pause = min(pause*2, 200*time.Millisecond)
	}
}

// notReady reports an error that means the program is not serving yet
// rather than an answer: a refused connection, or one reset or closed
// before a response.
func notReady(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	// net.ErrClosed: the transport closed its end on the program's close
	// while it still wrote the request.
	return refusedOrReset(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// replayBody records a request body as the transport reads it, so that a
// later attempt can send it again from the start: the bytes read so far
// from the record, the rest from the client as it arrives. Nothing is
// read ahead, so an upload still streams. The transport may still be
// reading an old attempt when the next begins; both read under one lock
// and append to one record, so each attempt sees the bytes in order.
type replayBody struct {
	mu     sync.Mutex
	src    io.ReadCloser
	record []byte
	over   bool // the record stopped at maxReplay: no more retries
	err    error
}

func (b *replayBody) attempt() io.ReadCloser { return &attemptReader{body: b} }

// replayable reports whether the body can be sent again: it was not
// too long to keep, and the browser's upload did not break (a retry
// would fail the same way).
func (b *replayBody) replayable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.over && (b.err == nil || b.err == io.EOF)
}

type attemptReader struct {
	body *replayBody
	pos  int
}

func (r *attemptReader) Read(p []byte) (int, error) {
	b := r.body
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return b.src.Read(p) // the only attempt left: straight through
	}
	if r.pos < len(b.record) {
		n := copy(p, b.record[r.pos:])
		r.pos += n
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if len(b.record)+n > maxReplay {
		b.over, b.record = true, nil
	} else {
		b.record = append(b.record, p[:n]...)
		r.pos += n
	}
	b.err = err
	return n, err
}

// Close is the transport's end of one attempt; the client's body is the
// server's to close.
func (r *attemptReader) Close() error { return nil }
