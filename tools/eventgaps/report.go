package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

func report(results []result, cands []time.Duration) {
	view := func(title string, pick func(result) []burst) {
		fmt.Printf("\n### %s\n\n", title)
		fmt.Println("| action | runs | events/burst (median) | max gap in burst: median | p95 | max | burst span: median | max |")
		fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range results {
			bs := pick(r)
			var evs []float64
			var gaps, spans []time.Duration
			for _, b := range bs {
				evs = append(evs, float64(b.events))
				gaps = append(gaps, b.maxGap)
				spans = append(spans, b.span)
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.a.name, len(bs), num(median(evs)),
				dur(pct(gaps, 50)), dur(pct(gaps, 95)), dur(pct(gaps, 100)),
				dur(pct(spans, 50)), dur(pct(spans, 100)))
		}
	}
	view("Events golive's filter passes to the debounce (these restart the quiet window)", func(r result) []burst { return r.golive })
	view("All events under the watched directories", func(r result) []burst { return r.all })

	fmt.Printf("\n### Bursts a quiet window would split (golive view: max gap ≥ window), out of runs\n\n")
	fmt.Print("| action |")
	for _, c := range cands {
		fmt.Printf(" %v |", c)
	}
	fmt.Print("\n|---|")
	for range cands {
		fmt.Print("--:|")
	}
	fmt.Println()
	for _, r := range results {
		fmt.Printf("| %s |", r.a.name)
		for _, c := range cands {
			n := 0
			for _, b := range r.golive {
				if b.maxGap >= c {
					n++
				}
			}
			fmt.Printf(" %d/%d |", n, len(r.golive))
		}
		fmt.Println()
	}

	fmt.Printf("\n### Actions\n\n")
	for _, r := range results {
		fmt.Printf("- `%s`: %s (the command itself took median %s, max %s; load average %s at start, %s at end)",
			r.a.name, r.a.desc, dur(pct(r.took, 50)), dur(pct(r.took, 100)), r.load[0], r.load[1])
		if r.capped > 0 {
			fmt.Printf("; %d runs hit -maxwait", r.capped)
		}
		if r.overflow > 0 {
			fmt.Printf("; %d inotify queue overflows", r.overflow)
		}
		fmt.Println()
	}
	fmt.Println("\np95 is the nearest-rank percentile over the runs; a burst with one event has a max gap of 0.")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pct is the nearest-rank percentile p (0 < p ≤ 100) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p == 50 {
		n := len(s)
		if n%2 == 1 {
			return s[n/2]
		}
		return (s[n/2-1] + s[n/2]) / 2
	}
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", ms(d))
	default:
		return fmt.Sprintf("%.1f ms", ms(d))
	}
}

func num(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%d", int(x))
	}
	return fmt.Sprintf("%.1f", x)
}
