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
//     _test.go, go.mod, go.sum) unless an exclude pattern names it; in
//     graph mode (Options.Graph) the build graph decides the Go files,
//     and the graph's directories outside the root are watched too;
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

// Graph is the build graph as the watcher asks it (graph.Set).
type Graph interface {
	// Builds reports whether the Go or module file at rel counts.
	Builds(rel string) bool
	// Why says why the file at rel does not count.
	Why(rel string) string
	// Dir reports whether the build reads files in the directory rel (or
	// nothing is known yet): in graph mode only those are polled.
	Dir(rel string) bool
	// Version changes whenever the answers of Dir may have: the poller
	// keeps them until then. It is 0 until the graph's first answer, and
	// till then the poller lists no directory below the root.
	Version() uint64
}

// Dirs is the build graph's new answer: List holds the directories
// outside the root to watch (the others there no longer are), and under
// the root the watcher from now on watches only what Graph.Dir or an
// include pattern wants. A counted file of a newly watched directory that
// changed at or after Since (the build that used it began) is reported
// as a change, since no event said so; the others are recorded as they
// are. Done, buffered, then hears what the watcher watches.
type Dirs struct {
	List  []string
	Since time.Time
	Done  chan Watched
}

// Watched is what a watcher watches once it follows a graph's Dirs.
type Watched struct {
	Added []string // the directories newly watched (absolute)
	Dirs  int      // how many directories it watches now, inside the root and out
}

// Change is one path that changed in a burst.
type Change struct {
	Path string // slash-separated, relative to Options.Root ("../" for outside)
	Op   Op
}

// Batch is what one burst of events amounts to. Changes is sorted by path
// and holds each path once.
type Batch struct {
	Changes []Change
	First   time.Time // when the first event of the burst arrived
	// Tentative (Options.Tentative) marks a guess at a burst still open:
	// its paths as the events named them, not yet compared with what
	// golive saw before. A consumer may start work on it, and keep that
	// work only when the batch that ends the burst names this guess; a
	// tentative batch with no changes withdraws the guesses before it
	// (the burst changed nothing).
	Tentative bool
	// Guess numbers a tentative batch. On the batch that ends a burst it
	// is the number of the last guess sent with the same events (no event
	// came after it), or 0.
	Guess uint64
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
	// Tentative sends, with each event of a burst of a few paths while
	// the consumer waits, a tentative batch (Batch.Tentative), so that it
	// can start before the quiet window ends; a burst whose guesses came
	// to nothing ends with a batch that withdraws them.
	Tentative bool
	// Extra reports whether a path outside the patterns still counts (the
	// files a program embeds). It may be nil and must be safe to call from
	// the watcher's goroutine while another goroutine updates its data.
	Extra func(rel string) bool
	// ExtraDirs are the directories (slash-separated, relative to Root)
	// of Extra's files that no graph answer names, such as run.env_file's:
	// in graph mode they stay watched, with those above them.
	ExtraDirs []string
	// Warn receives problems that do not stop watching (a directory that
	// vanished mid-walk). It may be nil.
	Warn func(error)
	// Graph, when set (watch.mode = "graph"), decides which Go and module
	// files count, and admits the paths outside Root that the build reads.
	// Nil is tree mode: every Go file under Root counts. Its methods must
	// be safe to call from the watcher's goroutine while another updates
	// its data.
	Graph Graph
	// Outside delivers, each time the build graph changes, the absolute
	// directories outside Root to watch (a replace target, a go.work
	// module): each list replaces the one before. It may be nil.
	Outside <-chan Dirs
	// Poll lists the watched directories every PollInterval instead of
	// asking fsnotify (watch.poll): for file systems that send no events
	// golive does not know of. Without it, golive polls by itself the
	// directories on a file system known to send none, and everything
	// once the inotify limits are reached, saying why on one line.
	Poll         bool
	PollInterval time.Duration // zero: DefaultPollInterval
	// GitIgnore makes the files git ignores not count, as git decides
	// (watch.gitignore): in tree mode every file, in graph mode the ones
	// the include patterns name (a file the build reads counts all the
	// same). In tree mode an ignored directory is not watched.
	GitIgnore bool
	// AllowRoot lets Check accept / or the home directory as Root however
	// large its tree (watch.allow_root).
	AllowRoot bool
	// Ignored, when set, hears of each changed path that does not count,
	// with why (golive -v). It runs on the watcher's goroutine.
	Ignored func(rel, why string)
	// Since, when set, makes New look for changes at or after it to the
	// counted files and the watched directories (Changed): a build that
	// ran beside the walk may have read a file that changed before its
	// directory was watched, with no event to say so. On Linux change
	// times are compared, which every change sets; elsewhere modification
	// times (there are no change times), and golive walks before it
	// builds there.
	Since time.Time
}
