package watcher

import (
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
)

// Written lists the files a command golive ran wrote: the files under
// the root that the filter counts, whose change time is at or after since and whose content
// differs from the last batch's (or the start's). A file the command
// rewrote with the same bytes is not listed. It records nothing: the
// batches that name these files still come, and their taker decides.
// The walk skips what the watcher never watches; a directory that goes
// away during it is skipped too. A generator that writes outside the
// root (into a replace target) is not followed.
func (w *Watcher) Written(since time.Time) []string { return w.written(since, true) }

// Touched is Written without the comparison of bytes: every counted file
// changed at or after since.
func (w *Watcher) Touched(since time.Time) []string { return w.written(since, false) }

func (w *Watcher) written(since time.Time, changedBytes bool) []string {
	since = since.Add(-fileclock.Slack)
	var out []string
	visit := func(rel string) {
		if !w.m.match(rel) {
			return
		}
		if !fileclock.ChangedSince(filepath.Join(w.tree.root, filepath.FromSlash(rel)), since) {
			return
		}
		if !changedBytes || w.sums.judge(rel).counts {
			out = append(out, rel)
		}
	}
	w.walkFiles(w.tree.root, ".", visit)
	slices.Sort(out)
	return slices.Compact(out)
}

// walkFiles calls visit with every regular file under abs (whose path
// relative to the root is rel), skipping the directories the filter
// never watches.
func (w *Watcher) walkFiles(abs, rel string, visit func(rel string)) {
	filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // gone, or unreadable: nothing of it was written
		}
		r, rerr := filepath.Rel(abs, p)
		if rerr != nil {
			return nil
		}
		r = path.Join(rel, filepath.ToSlash(r))
		if d.IsDir() {
			if r != "." && p != abs && w.m.skipDir(r) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			visit(r)
		}
		return nil
	})
}
