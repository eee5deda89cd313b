package watcher

import (
	"time"

	"golang.org/x/sys/unix"
)

// mtimeSlack is how far a file's modification time may lag the real time
// of the write: Linux stamps files with the coarse clock, which advances
// once per tick.
func mtimeSlack() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGetres(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return 10 * time.Millisecond
	}
	return 2 * time.Duration(ts.Nano())
}
