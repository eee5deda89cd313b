package watcher

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeLedger counts every path as a write unless told otherwise, and keeps
// score of what debounce asked and recorded.
type fakeLedger struct {
	mu       sync.Mutex
	verdicts map[string]verdict
	judged   map[string]int
	recorded []string
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{verdicts: map[string]verdict{}, judged: map[string]int{}}
}

func (f *fakeLedger) judge(path string) verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.judged[path]++
	if v, ok := f.verdicts[path]; ok {
		return v
	}
	return verdict{op: Write, counts: true}
}

func (f *fakeLedger) record(path string, v verdict) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recorded = append(f.recorded, path)
}

// rig runs debounce in the current bubble; the bubble's end proves that
// debounce returned once ctx was cancelled.
type rig struct {
	in  chan event
	out chan Batch
	l   *fakeLedger
}

func startDebounce(t *testing.T, quiet time.Duration) *rig {
	r := &rig{in: make(chan event), out: make(chan Batch), l: newFakeLedger()}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go debounce(ctx, r.in, r.out, quiet, r.l, false)
	return r
}

func (r *rig) send(paths ...string) {
	for _, p := range paths {
		r.in <- event{path: p, at: time.Now()}
	}
}

// poll returns the batch on offer now, if any.
func (r *rig) poll() (Batch, bool) {
	synctest.Wait()
	select {
	case b := <-r.out:
		return b, true
	default:
		return Batch{}, false
	}
}

func paths(b Batch) []string {
	var ps []string
	for _, c := range b.Changes {
		ps = append(ps, c.Path)
	}
	return ps
}

func TestDebounceQuietWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		start := time.Now()
		r.send("b.go", "a.go", "b.go")
		time.Sleep(99 * time.Millisecond)
		if b, ok := r.poll(); ok {
			t.Fatalf("batch %v before the quiet window ended", b)
		}
		time.Sleep(time.Millisecond)
		b, ok := r.poll()
		if !ok {
			t.Fatal("no batch once the window ended")
		}
		want := []Change{{"a.go", Write}, {"b.go", Write}}
		if !reflect.DeepEqual(b.Changes, want) || !b.First.Equal(start) {
			t.Errorf("got %+v, want %v first at %v", b, want, start)
		}
	})
}

func TestDebounceEventsRestartWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		start := time.Now()
		for i := range 10 {
			r.send(string(rune('a'+i)) + ".go")
			time.Sleep(90 * time.Millisecond)
			if b, ok := r.poll(); ok {
				t.Fatalf("batch %v during the burst", b)
			}
		}
		time.Sleep(10 * time.Millisecond)
		b, ok := r.poll()
		if !ok || len(b.Changes) != 10 || !b.First.Equal(start) {
			t.Fatalf("got %+v, %v; want one batch of 10 first at %v", b, ok, start)
		}
	})
}

func TestDebounceSeparateBursts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		r.send("a.go")
		time.Sleep(100 * time.Millisecond)
		first, _ := r.poll()
		second := time.Now()
		r.send("b.go")
		time.Sleep(100 * time.Millisecond)
		next, _ := r.poll()
		if !reflect.DeepEqual(paths(first), []string{"a.go"}) || !reflect.DeepEqual(paths(next), []string{"b.go"}) {
			t.Fatalf("got %v then %v", first, next)
		}
		if !next.First.Equal(second) {
			t.Errorf("second First = %v, want %v", next.First, second)
		}
	})
}

func TestDebounceSlowConsumerGetsOneMergedBatch(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		start := time.Now()
		for _, p := range []string{"a.go", "b.go", "c.go"} {
			r.send(p)
			time.Sleep(time.Second) // each burst ends; nobody reads out
		}
		b, ok := r.poll()
		if !ok || !reflect.DeepEqual(paths(b), []string{"a.go", "b.go", "c.go"}) || !b.First.Equal(start) {
			t.Fatalf("got %+v, %v; want one batch of a, b, c first at %v", b, ok, start)
		}
		if b, ok := r.poll(); ok {
			t.Errorf("second batch %v", b)
		}
		if len(r.l.recorded) != 3 {
			t.Errorf("recorded %v, want the 3 taken paths", r.l.recorded)
		}
	})
}

func TestDebounceEventWithdrawsOffer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		r.send("a.go")
		time.Sleep(100 * time.Millisecond)
		synctest.Wait() // a.go is on offer now
		r.send("b.go")
		time.Sleep(50 * time.Millisecond)
		if b, ok := r.poll(); ok {
			t.Fatalf("batch %v offered inside a new quiet window", b)
		}
		if len(r.l.recorded) != 0 {
			t.Fatalf("withdrawn offer recorded %v", r.l.recorded)
		}
		time.Sleep(50 * time.Millisecond)
		b, _ := r.poll()
		if !reflect.DeepEqual(paths(b), []string{"a.go", "b.go"}) {
			t.Fatalf("got %v, want a and b", b)
		}
		// a.go had no event after its verdict, so it was hashed only once.
		if r.l.judged["a.go"] != 1 || r.l.judged["b.go"] != 1 {
			t.Errorf("judged %v, want each path once", r.l.judged)
		}
	})
}

func TestDebounceRejudgesPathWithNewEvent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		r.send("a.go", "b.go")
		time.Sleep(100 * time.Millisecond)
		synctest.Wait() // a and b are judged and on offer
		r.send("a.go")
		time.Sleep(100 * time.Millisecond)
		r.poll()
		if r.l.judged["a.go"] != 2 || r.l.judged["b.go"] != 1 {
			t.Errorf("judged %v, want a twice and b once", r.l.judged)
		}
	})
}

func TestDebounceDropsWhatChangedNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 100*time.Millisecond)
		r.l.verdicts["same.go"] = verdict{op: Write}
		r.l.verdicts["ghost.go"] = verdict{op: Remove}
		r.l.verdicts["gone.go"] = verdict{op: Remove, counts: true}

		r.send("same.go", "ghost.go")
		time.Sleep(time.Second)
		if b, ok := r.poll(); ok {
			t.Fatalf("batch %v when nothing counted", b)
		}

		start := time.Now()
		r.send("same.go", "gone.go", "new.go")
		time.Sleep(100 * time.Millisecond)
		b, _ := r.poll()
		want := []Change{{"gone.go", Remove}, {"new.go", Write}}
		if !reflect.DeepEqual(b.Changes, want) || !b.First.Equal(start) {
			t.Errorf("got %+v, want %v first at %v", b, want, start)
		}
	})
}

func TestDebounceZeroOffersAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := startDebounce(t, 0)
		r.send("a.go")
		if b, ok := r.poll(); !ok || !reflect.DeepEqual(paths(b), []string{"a.go"}) {
			t.Fatalf("got %v, %v; want a.go at once", b, ok)
		}
		r.send("b.go") // nobody reads: these pile up into one batch
		time.Sleep(time.Second)
		r.send("c.go")
		if b, ok := r.poll(); !ok || !reflect.DeepEqual(paths(b), []string{"b.go", "c.go"}) {
			t.Fatalf("got %v, %v; want b and c merged", b, ok)
		}
	})
}

func TestDebounceStopsOnCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, quiet := range []time.Duration{0, time.Second} {
			in, out := make(chan event), make(chan Batch)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				debounce(ctx, in, out, quiet, newFakeLedger(), false)
			}()
			in <- event{path: "a.go", at: time.Now()}
			time.Sleep(2 * time.Second) // a batch is on offer, nobody reads
			cancel()
			<-done
		}
	})
}

func TestDebounceStopsWhenInCloses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		in, out := make(chan event), make(chan Batch)
		done := make(chan struct{})
		go func() {
			defer close(done)
			debounce(t.Context(), in, out, time.Second, newFakeLedger(), false)
		}()
		close(in)
		<-done
	})
}

// TestDebounceGuesses: with guesses, a small burst goes out as a
// tentative batch guessAfter after its last event, while the consumer
// waits; the batch that
// ends the burst names the last guess no event followed; a burst that
// changed nothing ends with a withdrawal; a busy consumer gets no guess.
func TestDebounceGuesses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newFakeLedger()
		l.verdicts["same.go"] = verdict{op: Write, counts: false}
		in, out := make(chan event), make(chan Batch)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go debounce(ctx, in, out, 100*time.Millisecond, l, true)
		var mu sync.Mutex
		var got []Batch
		taking := make(chan bool) // true: take batches; false: stop
		go func() {
			for take := range taking {
				for take {
					select {
					case b := <-out:
						mu.Lock()
						got = append(got, b)
						mu.Unlock()
					case take = <-taking:
					}
				}
			}
		}()
		send := func(p string) { in <- event{path: p, at: time.Now()} }
		seen := func() []Batch {
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			b := got
			got = nil
			return b
		}
		taking <- true
		send("a.go")
		if b := seen(); len(b) != 0 {
			t.Fatalf("a guess before guessAfter: %+v", b)
		}
		time.Sleep(guessAfter)
		if b := seen(); len(b) != 1 || !b[0].Tentative || b[0].Guess != 1 || !reflect.DeepEqual(paths(b[0]), []string{"a.go"}) {
			t.Fatalf("after one event: %+v, want guess 1 of a.go", b)
		}
		time.Sleep(100*time.Millisecond - guessAfter)
		if b := seen(); len(b) != 1 || b[0].Tentative || b[0].Guess != 1 {
			t.Fatalf("at the window's end: %+v, want the batch naming guess 1", b)
		}

		send("b.go")
		time.Sleep(50 * time.Millisecond)
		send("c.go")
		time.Sleep(guessAfter / 2)
		send("d.go") // within guessAfter of c.go: one guess for both
		time.Sleep(guessAfter)
		if b := seen(); len(b) != 2 || b[1].Guess != 3 || !reflect.DeepEqual(paths(b[1]), []string{"b.go", "c.go", "d.go"}) {
			t.Fatalf("a burst of three events: %+v, want guesses 2 (b.go) and 3 (all three)", b)
		}
		time.Sleep(100 * time.Millisecond)
		if b := seen(); len(b) != 1 || b[0].Tentative || b[0].Guess != 3 || len(b[0].Changes) != 3 {
			t.Fatalf("the end of that burst: %+v, want the three paths naming guess 3", b)
		}

		send("same.go") // its bytes are what golive saw before
		time.Sleep(100 * time.Millisecond)
		if b := seen(); len(b) != 2 || !b[1].Tentative || len(b[1].Changes) != 0 {
			t.Fatalf("a burst that changed nothing: %+v, want a guess, then a withdrawal", b)
		}

		taking <- false // busy
		send("e.go")
		time.Sleep(100 * time.Millisecond)
		taking <- true
		if b := seen(); len(b) != 1 || b[0].Tentative || b[0].Guess != 0 {
			t.Fatalf("a busy consumer: %+v, want only the batch, naming no guess", b)
		}
		close(taking)
	})
}
