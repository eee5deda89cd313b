package watcher

import (
	"context"
	"slices"
	"strings"
	"time"
)

// event is one path the filter let through.
type event struct {
	path string    // slash-separated, relative to the root
	at   time.Time // when the watcher saw it
	// quiet, when longer than debounce's own window, is the window this
	// event needs: a polled change comes in rounds, and the next round
	// must have had its chance to add to the burst.
	quiet time.Duration
}

// verdict is what a pending path amounts to when a burst ends.
type verdict struct {
	op     Op
	sum    uint64 // content hash, for record; meaningless for Remove
	counts bool   // false: the path changed nothing since the last batch
}

// ledger decides which pending paths really changed. debounce calls judge
// once per path per quiet window in which the path had an event, and record
// only for the verdicts of a batch the consumer took.
type ledger interface {
	judge(path string) verdict
	record(path string, v verdict)
}

// burst is the set of paths with events since the last batch was taken.
type burst struct {
	set   map[string]*pending
	first time.Time // when the first of them arrived
}

// pending is one path of the burst.
type pending struct {
	judged bool // v is current: no event since it was judged
	v      verdict
}

// debounce turns events into batches until ctx is done or in is closed.
//
// It is a small state machine over three nil-able things: wait (the quiet
// timer's channel, set while a burst is open), offer (out, set while a batch
// is on offer) and the burst. Every event joins the burst, withdraws any
// offer and restarts the quiet window, so a batch is built only from a burst
// that has had no event for a full window (events already queued when the
// timer fires count as inside it), and the batch on offer always
// describes exactly the current burst. When the window ends the paths not
// yet judged are hashed (only those: a path keeps its verdict until it has a
// new event, so hashing stays proportional to the changed files); if none
// counts, the burst is dropped and nothing is offered. Otherwise the batch
// stays on offer for as long as the consumer is busy, while the select keeps
// receiving events, so a slow consumer gets one merged batch rather than one
// per burst. Only when the consumer takes the batch are its verdicts
// recorded and the burst cleared, so a withdrawn offer leaves no trace. With
// quiet zero the window ends at once, which still merges whatever piles up
// while the consumer is busy. Every case of the one select also waits on
// ctx.Done, so debounce never blocks past cancellation.
//
// With guesses (Options.Tentative), a burst of at most maxGuessPaths
// paths with the ordinary window is also sent as a tentative batch once
// it has had no event for guessAfter, when the consumer is ready for it
// (never waited for); the batch that ends the burst names the last guess
// that no event followed, and a burst that ends in nothing, after a
// guess, is offered as an empty tentative batch that withdraws it.
func debounce(ctx context.Context, in <-chan event, out chan<- Batch, quiet time.Duration, l ledger, guesses bool) {
	b := &burst{set: map[string]*pending{}}
	var seq, guess uint64 // the last guess's number; the one that still holds (0: none)
	guessed := false      // a guess went out for the open burst
	gtimer := time.NewTimer(time.Hour)
	gtimer.Stop()
	defer gtimer.Stop()
	var gwait <-chan time.Time // the guess's short window, while one is due
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var wait <-chan time.Time
	window := quiet // the open burst's: the longest its events asked for
	var offer chan<- Batch
	var batch Batch
	for {
		ready := false
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-in:
			if !ok {
				return
			}
			b.add(ev)
			offer, guess = nil, 0
			if window = max(window, ev.quiet); window > 0 {
				timer.Reset(window)
				wait = timer.C
				if guesses && window == quiet && len(b.set) <= maxGuessPaths {
					gtimer.Reset(guessAfter)
					gwait = gtimer.C
				}
			} else {
				b.drain(in)
				ready = true
			}
		case <-gwait:
			gwait = nil
			if window != quiet {
				continue // a polled event joined the burst: its rounds, not a guess
			}
			if b.drain(in) {
				guess = 0
				timer.Reset(window)
				gtimer.Reset(guessAfter)
				gwait = gtimer.C
				continue
			}
			if len(b.set) > maxGuessPaths {
				continue
			}
			seq++
			select {
			case out <- b.guess(seq):
				guess, guessed = seq, true
			default: // the consumer is busy: it waits for the batch
			}
			continue
		case <-wait:
			if b.drain(in) {
				guess = 0
				timer.Reset(window) // events already waiting belong to this burst
				continue
			}
			wait, gwait, ready = nil, nil, true
		case offer <- batch:
			if !batch.Tentative {
				b.take(l)
			}
			offer, guessed = nil, false
		}
		if ready {
			window = quiet // the next burst starts with its own
			batch = b.settle(l)
			batch.Guess = guess
			switch {
			case len(batch.Changes) > 0:
				offer = out
			case guessed: // withdraw what the guesses started
				batch, offer = Batch{Tentative: true}, out
			}
		}
	}
}

// guessAfter is the quiet a burst needs before its guess: the events of
// one save mostly come within a millisecond or two (docs/debounce.md),
// and a guess at the first of them would be dropped at the next.
const guessAfter = 2 * time.Millisecond

// maxGuessPaths bounds the paths of a burst that still gets guesses: a
// save names one or a few, a checkout many, for which guessing is waste.
const maxGuessPaths = 8

// guess is the burst as a tentative batch numbered n: every path, judged
// or not, as written.
func (b *burst) guess(n uint64) Batch {
	cs := make([]Change, 0, len(b.set))
	for path := range b.set {
		cs = append(cs, Change{Path: path, Op: Write})
	}
	slices.SortFunc(cs, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return Batch{Changes: cs, First: b.first, Tentative: true, Guess: n}
}

// add puts ev in the burst, forgetting any verdict on its path.
func (b *burst) add(ev event) {
	if len(b.set) == 0 {
		b.first = ev.at
	}
	b.set[ev.path] = &pending{}
}

// drain adds the events already waiting on in and reports whether there
// were any. With no quiet window it makes a pile of events judged once
// rather than once per event; when the window ends it keeps an event that
// lost the select's coin toss against the timer inside the burst.
func (b *burst) drain(in <-chan event) bool {
	added := false
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				return added // debounce sees the close next
			}
			b.add(ev)
			added = true
		default:
			return added
		}
	}
}

// settle judges the paths that had an event since their last verdict and
// returns the batch of those that count. A burst where nothing counts is
// dropped.
func (b *burst) settle(l ledger) Batch {
	var cs []Change
	for path, p := range b.set {
		if !p.judged {
			p.v, p.judged = l.judge(path), true
		}
		if p.v.counts {
			cs = append(cs, Change{Path: path, Op: p.v.op})
		}
	}
	if len(cs) == 0 {
		clear(b.set)
	}
	slices.SortFunc(cs, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return Batch{Changes: cs, First: b.first}
}

// take records the verdicts of the batch the consumer took and empties the
// burst.
func (b *burst) take(l ledger) {
	for path, p := range b.set {
		if p.v.counts {
			l.record(path, p.v)
		}
	}
	clear(b.set)
}
