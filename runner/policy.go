package runner

import (
	"fmt"
	"time"
)

// RestartPolicy says what happens when the program exits by itself.
type RestartPolicy string

const (
	RestartNever     RestartPolicy = "never"      // wait for the next change
	RestartOnFailure RestartPolicy = "on-failure" // start again after a non-zero exit
	RestartAlways    RestartPolicy = "always"     // start again after any exit
)

// Wants reports whether the policy restarts after an exit with code/sig.
func (p RestartPolicy) Wants(code int, sig string) bool {
	switch p {
	case RestartAlways:
		return true
	case RestartOnFailure:
		return code != 0 || sig != ""
	}
	return false
}

// Backoff is the delay before an automatic restart: it doubles with every
// crash in a row, up to a cap, so a crash loop never spins a core, and
// starts over once the program has run longer than the cap. The zero
// value is ready to use.
type Backoff struct {
	next time.Duration
}

const (
	backoffFirst = 100 * time.Millisecond
	backoffCap   = 5 * time.Second
)

// Delay returns the wait before the next restart of a program that ran
// for ran.
func (b *Backoff) Delay(ran time.Duration) time.Duration {
	if b.next == 0 || ran > backoffCap {
		b.next = backoffFirst
	}
	d := b.next
	b.next = min(b.next*2, backoffCap)
	return d
}

// ExitWords says how a process ended: "exit code 2", "killed by SIGSEGV".
func ExitWords(code int, sig string) string {
	if sig != "" {
		return "killed by " + sig
	}
	return fmt.Sprintf("exit code %d", code)
}
