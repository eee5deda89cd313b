package testkit

import (
	"strings"
	"testing"
	"time"
)

// LineWaiter is an io.Writer that hands every line written to it to the
// test, so tests wait on output with a timeout instead of sleeping.
type LineWaiter struct {
	ch chan string
}

// NewLineWaiter returns a LineWaiter that keeps up to a hundred lines no
// test has waited for yet.
func NewLineWaiter() *LineWaiter { return &LineWaiter{ch: make(chan string, 100)} }

func (w *LineWaiter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.ch <- l
	}
	return len(p), nil
}

// Wait reads lines until one contains want, and fails the test if none
// does within Timeout. It returns that line.
func (w *LineWaiter) Wait(t testing.TB, want string) string {
	t.Helper()
	timeout := time.After(Timeout)
	for {
		select {
		case l := <-w.ch:
			if strings.Contains(l, want) {
				return l
			}
		case <-timeout:
			t.Fatalf("no line with %q within %s", want, Timeout)
			return ""
		}
	}
}

// Next returns the next line, and fails the test if none comes within
// Timeout.
func (w *LineWaiter) Next(t testing.TB) string {
	t.Helper()
	select {
	case l := <-w.ch:
		return l
	case <-time.After(Timeout):
		t.Fatalf("no line within %s", Timeout)
		return ""
	}
}
