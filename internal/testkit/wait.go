package testkit

import (
	"testing"
	"time"
)

// Timeout bounds every wait of a test: long next to anything golive does,
// short next to a hung test's default ten minutes.
const Timeout = 20 * time.Second

// Until polls cond every few milliseconds until it holds, and fails the
// test, naming what it waited for, if it does not within timeout (Timeout
// when zero). It is for what a test cannot be told of (a process gone, a
// file written by another process); output has LineWaiter.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Within(timeout, cond) {
		t.Fatalf("not %s within %s", what, orDefault(timeout))
	}
}

// Within polls cond until it holds or timeout passes (Timeout when zero),
// and reports whether it held: for a wait whose end is a result, not a
// failure.
func Within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(orDefault(timeout))
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return Timeout
	}
	return d
}
