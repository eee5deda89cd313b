//go:build !linux

package watcher

import "time"

// mtimeSlack is how far a file's modification time may lag the real time
// of the write; a generous bound where the clock used is not known.
func mtimeSlack() time.Duration { return 10 * time.Millisecond }
