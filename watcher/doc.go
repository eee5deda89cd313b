// Package watcher turns file-system events under one root into batches:
// one Batch per burst of edits, holding only the paths whose content really
// changed. It knows nothing of building.
//
// The contract, in the order events flow:
//   - the backend is fsnotify, watching every directory under the root
//     (directories, not files: editors save by rename), adding directories
//     created after start together with the files already in them;
//   - the filter drops what can never matter (VCS and hidden directories,
//     node_modules, testdata, golive's own output, editor temp files) and
//     keeps what the include patterns name (by default *.go but not
//     _test.go, go.mod, go.sum) unless an exclude pattern names it;
//   - the debounce waits for a quiet window, then offers the pending set;
//   - the content hashes drop paths whose bytes equal those seen when the
//     previous batch was offered (a touch, a re-save).
package watcher

import "time"

// Op says what happened to a path within a batch.
type Op uint8

const (
	Write  Op = iota // created or modified; the file exists now
	Remove           // removed or renamed away; the file is gone now
)

func (o Op) String() string {
	if o == Remove {
		return "remove"
	}
	return "write"
}

// Change is one path that changed in a burst.
type Change struct {
	Path string // slash-separated, relative to Options.Root
	Op   Op
}

// Batch is what one burst of events amounts to. Changes is sorted by path
// and holds each path once.
type Batch struct {
	Changes []Change
	First   time.Time // when the first event of the burst arrived
}

// Options configure a Watcher. Zero values mean the defaults.
type Options struct {
	// Root is the directory watched recursively.
	Root string
	// Include and Exclude extend the default patterns. A pattern without
	// "/" matches a base name at any depth; one with "/" matches the path
	// relative to Root. "**" matches any number of directories.
	Include []string
	Exclude []string
	// Ignore lists absolute directories never to watch (golive's own
	// output directory).
	Ignore []string
	// Debounce is the quiet window that ends a burst. Zero offers each
	// event's batch as soon as the consumer takes it.
	Debounce time.Duration
	// Extra reports whether a path outside the patterns still counts (the
	// files a program embeds). It may be nil and must be safe to call from
	// the watcher's goroutine while another goroutine updates its data.
	Extra func(rel string) bool
	// Warn receives problems that do not stop watching (a directory that
	// vanished mid-walk). It may be nil.
	Warn func(error)
	// Since, when set, makes New look for changes at or after it to the
	// counted files and the watched directories (Changed): a build that
	// ran beside the walk may have read a file that changed before its
	// directory was watched, with no event to say so. On Linux change
	// times are compared, which every change sets; elsewhere modification
	// times (there are no change times), and golive walks before it
	// builds there.
	Since time.Time
}
