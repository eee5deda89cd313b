//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// event is one line of golive's --events file (docs/events.md).
type event struct {
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	PID      int       `json:"pid"`
	Millis   *float64  `json:"duration_ms"`
	OpenMS   *float64  `json:"open_ms"`
	SwapMS   *float64  `json:"swap_ms"`
	Count    int       `json:"count"`
	Dirs     int       `json:"dirs"`
	Paths    []string  `json:"paths"`
	Killed   bool      `json:"killed"`
	Message  string    `json:"message"`
	Code     *int      `json:"code"`
	Signal   string    `json:"signal"`
	Package  string    `json:"package"`
	Replayed bool      `json:"replayed"`
	Service  string    `json:"service"`
	Received time.Time `json:"-"` // when the benchmark read it
}

func (e event) duration() time.Duration {
	if e.Millis == nil {
		return 0
	}
	return time.Duration(*e.Millis * float64(time.Millisecond))
}

// eventLog follows golive's events file.
type eventLog struct {
	path    string
	off     int64
	partial []byte
	events  []event
}

// refresh reads the lines written since the last call.
func (l *eventLog) refresh() {
	f, err := os.Open(l.path)
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	now := time.Now()
	for {
		n, err := f.ReadAt(buf, l.off)
		l.off += int64(n)
		l.partial = append(l.partial, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		var e event
		if json.Unmarshal(l.partial[:i], &e) == nil {
			e.Received = now
			l.events = append(l.events, e)
		}
		l.partial = l.partial[i+1:]
	}
}

// after returns the events of type typ stamped after t ("" for all types).
func (l *eventLog) after(t time.Time, typ string) []event {
	var out []event
	for _, e := range l.events {
		if e.Time.After(t) && (typ == "" || e.Type == typ) {
			out = append(out, e)
		}
	}
	return out
}

// waitFor waits for golive's first event of type typ stamped after t
// (waitFirst).
func (l *eventLog) waitFor(ctx context.Context, typ string, t time.Time, timeout time.Duration) (event, error) {
	return l.waitFirst(ctx, t, timeout, typ)
}

// waitBuilt waits for golive's first build_ok or build_failed stamped
// after t (waitFirst).
func (l *eventLog) waitBuilt(ctx context.Context, t time.Time, timeout time.Duration) (event, error) {
	return l.waitFirst(ctx, t, timeout, "build_ok", "build_failed")
}

// waitFirst waits for golive's first event of one of the types stamped
// after t. It is the cheap way to wait: it reads the file when golive
// writes it, where polling the program would cost an HTTP request on
// each side, CPU the build needs on a small machine.
func (l *eventLog) waitFirst(ctx context.Context, t time.Time, timeout time.Duration, types ...string) (event, error) {
	deadline := time.Now().Add(timeout)
	// inotify wakes the wait when golive writes the file, and not before:
	// a timer every few milliseconds would take the build's CPU on 2
	// cores (a stat every 2 ms slowed the compiles and link of a replay
	// by about 30 ms). The slow tick is a safety net.
	every, written, errs := pollEvery, (<-chan fsnotify.Event)(nil), (<-chan error)(nil)
	if w, err := fsnotify.NewWatcher(); err == nil {
		defer w.Close()
		if w.Add(l.path) == nil {
			every, written, errs = 250*time.Millisecond, w.Events, w.Errors
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if fi, err := os.Stat(l.path); err == nil && fi.Size() > l.off {
			l.refresh()
		}
		for _, e := range l.after(t, "") {
			if slices.Contains(types, e.Type) {
				return e, nil
			}
		}
		if time.Now().After(deadline) {
			return event{}, fmt.Errorf("no %s event within %v", strings.Join(types, " or "), timeout)
		}
		select {
		case <-ctx.Done():
			return event{}, ctx.Err()
		case <-tick.C:
		case <-written:
		case <-errs:
		}
	}
}
