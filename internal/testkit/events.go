package testkit

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
)

// Events is a JSON logger's output (events.Options{JSON: true}), read
// back one event at a time.
type Events struct {
	ch   chan events.Event
	skip []string // types dropped as they come
}

// Skip drops events of these types, which come at no set place among the
// others (the build graph's watching, after a build, beside the program).
func (e *Events) Skip(types ...string) *Events {
	e.skip = append(e.skip, types...)
	return e
}

// NewEvents returns an Events that keeps up to a hundred events no test
// has read yet.
func NewEvents() *Events { return &Events{ch: make(chan events.Event, 100)} }

func (e *Events) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		var ev events.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			return 0, err
		}
		if slices.Contains(e.skip, ev.Type) {
			continue
		}
		e.ch <- ev
	}
	return len(p), nil
}

// Next returns the next event, failing the test if it is not of type typ
// or if none comes within Timeout.
func (e *Events) Next(t testing.TB, typ string) events.Event {
	t.Helper()
	select {
	case ev := <-e.ch:
		if ev.Type != typ {
			t.Fatalf("event %q (%+v), want %q", ev.Type, ev, typ)
		}
		return ev
	case <-time.After(Timeout):
		t.Fatalf("no %q event within %s", typ, Timeout)
	}
	return events.Event{}
}

// C is the channel of events not read yet, for a test that selects on an
// event among other things (or on none coming).
func (e *Events) C() <-chan events.Event { return e.ch }
