package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/fileclock"
)

// tree knows which directories are watched: it walks, adds watches and
// drops them. New uses it first; Run's goroutine owns it afterwards.
type tree struct {
	root   string // absolute
	m      *matcher
	add    func(dir string) error // the backend's Add
	remove func(dir string) error // the backend's Remove
	warn   func(error)
	dirs   map[string]bool   // absolute paths holding a watch
	real   map[string]bool   // their real paths (links resolved): each directory is walked once
	realOf map[string]string // a watched path's real path
	// outside are the directories watched outside the root, one by one
	// (not their trees): the build graph's (setOutside).
	outside map[string]bool
	// wanted, once set, says which directories under the root are watched
	// (graph mode, from the build graph's first answer): those it rejects
	// are not walked, and narrow drops their watches. Nil watches all.
	wanted func(rel string) bool
}

// setOutside watches exactly dirs outside the root, adding the new ones
// (and calling file for each counted file in them, once watched) and
// dropping the others. A directory that is gone is skipped: the next
// graph will not name it.
func (t *tree) setOutside(dirs []string, file func(rel string) error) error {
	want := map[string]bool{}
	for _, d := range dirs {
		if rel := t.rel(d); rel == ".." || strings.HasPrefix(rel, "../") {
			want[d] = true
		}
	}
	for d := range t.outside {
		if !want[d] {
			// This directory alone: one outside may hold the root (a
			// go.work's), whose tree stays watched.
			_ = t.remove(d)
			t.forget(d)
		}
	}
	for d := range want {
		if t.outside[d] {
			continue
		}
		if err := t.add(d); err != nil {
			if !gone(err) {
				t.warn(watchError(d, err))
			}
			continue
		}
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			real = d
		}
		t.dirs[d], t.outside[d], t.real[real], t.realOf[d] = true, true, true, real
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if rel := t.rel(filepath.Join(d, e.Name())); !e.IsDir() && t.m.match(rel) {
				if err := file(rel); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// walk watches dir and every directory under it that is not skipped, and
// calls file for every counted file. WalkDir visits a directory before it
// reads the entries, so each watch is in place before its directory is
// listed: a file written meanwhile is seen by the listing, the watch, or
// both, never by neither. Whatever vanishes during the walk is skipped.
// A symbolic link to a directory is followed, once, after the walk: a
// directory already watched under its own name or another (a loop back
// up the tree among them) is not walked again.
func (t *tree) walk(dir string, file func(rel string) error) error {
	return t.walkFrom(dir, file, true)
}

// grow watches, under the root, what wanted now takes and is not watched
// yet, calling file only for the counted files of the directories it
// adds: the others' changes came as events.
func (t *tree) grow(file func(rel string) error) error {
	return t.walkFrom(t.root, file, false)
}

func (t *tree) walkFrom(dir string, file func(rel string) error, every bool) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	return t.walkAt(dir, real, file, every)
}

// walkAt is walk with dir's real path known, calling file for the files
// of every directory, or (every false) of those it adds. A trailing
// separator makes WalkDir descend into dir when dir is itself a link.
func (t *tree) walkAt(dir, real string, file func(rel string) error, every bool) error {
	dir = filepath.Clean(dir)
	var links []string         // followed after the walk: a directory is watched under its own name first
	added := map[string]bool{} // the directories this walk watches
	err := filepath.WalkDir(dir+string(filepath.Separator), func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return t.walkError(err)
		}
		name = filepath.Clean(name)
		rel := t.rel(name)
		switch {
		case d.IsDir():
			isNew, err := t.watch(name, rel, filepath.Join(real, strings.TrimPrefix(name, dir)))
			added[name] = isNew
			return err
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, name)
		case (every || added[filepath.Dir(name)]) && t.m.match(rel):
			return file(rel)
		}
		return nil
	})
	for _, l := range links {
		if err != nil {
			break
		}
		err = t.follow(l, t.rel(l), file, every || added[filepath.Dir(l)])
	}
	return err
}

// follow walks the directory a link at name points to, or counts the
// file it points to.
func (t *tree) follow(name, rel string, file func(rel string) error, every bool) error {
	info, err := os.Stat(name)
	if err != nil {
		return nil // a dangling link
	}
	if !info.IsDir() {
		if every && t.m.match(rel) {
			return file(rel)
		}
		return nil
	}
	if rel != "." && (t.m.skipDir(rel) || !t.wants(rel)) {
		return nil
	}
	real, err := filepath.EvalSymlinks(name)
	if err != nil || (t.real[real] && t.realOf[name] != real) || t.holdsRoot(real) {
		return nil // followed already under another name, a loop, or above the tree
	}
	t.m.links.Store(rel, true)
	return t.walkAt(name, real, file, every) // again after an overflow: new directories below it
}

// watch adds a watch on the directory name, whose real path is real,
// reporting whether it is new, or tells WalkDir to skip it.
func (t *tree) watch(name, rel, real string) (bool, error) {
	if rel != "." && (t.m.skipDir(rel) || t.gitIgnoredDir(rel) || !t.wants(rel)) {
		return false, filepath.SkipDir
	}
	if t.dirs[name] {
		return false, nil
	}
	if t.real[real] {
		return false, filepath.SkipDir // watched under another name already
	}
	err := t.add(name)
	switch {
	case err == nil:
		t.dirs[name] = true
		t.real[real], t.realOf[name] = true, real
		return true, nil
	case gone(err):
		return false, filepath.SkipDir
	case errors.Is(err, fs.ErrPermission):
		t.warn(fmt.Errorf("watch %s: %w", name, err))
		return false, filepath.SkipDir
	}
	return false, watchError(name, err)
}

// wants reports whether the directory at rel, under the root, is to be
// watched: wanted decides once set. A directory a wanted one lies in is
// wanted too (the graph's Dir says so), so a walk that skips a rejected
// directory misses nothing below it.
func (t *tree) wants(rel string) bool {
	return t.wanted == nil || strings.HasPrefix(rel, "../") || t.wanted(rel)
}

// narrow drops the watch on every directory under the root that wanted
// no longer takes, and calls forget with each one's relative path.
func (t *tree) narrow(forget func(rel string)) {
	for d := range t.dirs {
		if rel := t.rel(d); rel != "." && !t.outside[d] && !t.wants(rel) {
			_ = t.remove(d)
			t.forget(d)
			forget(rel)
		}
	}
}

func (t *tree) walkError(err error) error {
	switch {
	case gone(err):
		return nil
	case errors.Is(err, fs.ErrPermission):
		t.warn(fmt.Errorf("walk: %w", err)) // err names the path
		return nil
	}
	return fmt.Errorf("walk: %w", err)
}

// holdsRoot reports whether the directory real is the root or above it
// (a link to "..", to the home directory, to "/"): following it would
// watch more than the tree.
func (t *tree) holdsRoot(real string) bool {
	root := t.realOf[t.root]
	if root == "" {
		root = t.root
	}
	return root == real || strings.HasPrefix(root, strings.TrimSuffix(real, string(filepath.Separator))+string(filepath.Separator))
}

// forget drops what the tree knows of the watched directory d.
func (t *tree) forget(d string) {
	delete(t.real, t.realOf[d])
	delete(t.realOf, d)
	delete(t.dirs, d)
	delete(t.outside, d)
}

// gitIgnoredDir reports whether, in tree mode, git ignores the directory
// at rel: nothing in it counts, so it is not watched. In graph mode the
// build may read an ignored directory (generated code), so it is.
func (t *tree) gitIgnoredDir(rel string) bool {
	return t.m.graph == nil && !strings.HasPrefix(rel, "../") && t.m.gitIgnored(rel)
}

// drop forgets dir and every watched directory under it, reporting whether
// dir was watched. The backend has usually dropped those watches itself
// already, so failures to remove them say nothing and are ignored.
func (t *tree) drop(dir string) bool {
	if !t.dirs[dir] {
		return false
	}
	prefix := dir + string(filepath.Separator)
	for d := range t.dirs {
		if d == dir || strings.HasPrefix(d, prefix) {
			_ = t.remove(d)
			t.forget(d)
		}
	}
	return true
}

// prune drops the watched directories that no longer exist, for when
// events were lost and their removal may have gone unseen.
func (t *tree) prune() {
	for d := range t.dirs {
		if _, err := os.Lstat(d); gone(err) {
			t.drop(d)
		}
	}
}

// rel turns an absolute path under the root into the slash-separated
// relative form every other part of the package uses.
func (t *tree) rel(name string) string {
	rel, err := filepath.Rel(t.root, name)
	if err != nil {
		return ".." // not under the root; match rejects it
	}
	return filepath.ToSlash(rel)
}

// changedSince reports whether a watched directory had an entry added,
// removed or renamed at or after t. Run after the walk, it also sees
// what happened to a directory while it was listed.
func (t *tree) changedSince(since time.Time) bool {
	for d := range t.dirs {
		if fileclock.ChangedSince(d, since) {
			return true
		}
	}
	return false
}
