// Package fileclock is golive's one view of file times: the clock the
// file system stamps changes with, how far it lags the real one, whether
// two directories share it, and whether a file changed since a moment.
// The start-up walk, the embedded-files refresh and the replay's trust
// in a recipe all judge "did this change during the build?" with it.
package fileclock

import "time"

// Slack is how far file times can lag the real clock: the longest kernel
// tick in common use (CONFIG_HZ=100). A change made up to Slack before a
// moment read with time.Now may be stamped after it, and one made just
// after may be stamped before it.
const Slack = 10 * time.Millisecond
