package watcher

import (
	"errors"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// sums holds the content hash of every counted file as it was when the last
// batch naming it was taken (or at start). It is debounce's ledger.
type sums struct {
	root string
	seed maphash.Seed
	mu   sync.Mutex // the debounce goroutine records; Run's goroutine lists
	hash map[string]uint64
}

func newSums(root string) *sums {
	return &sums{root: root, seed: maphash.MakeSeed(), hash: map[string]uint64{}}
}

// baseline records the current content of rel. A file that vanished is
// simply not recorded; an unreadable one is recorded as sum 0 (see judge)
// and its error returned.
func (s *sums) baseline(rel string) error {
	sum, err := s.sum(rel)
	if gone(err) {
		return nil
	}
	s.record(rel, verdict{op: Write, sum: sum})
	return err
}

// judge hashes rel now and compares it with the recorded hash.
func (s *sums) judge(rel string) verdict {
	sum, err := s.sum(rel)
	s.mu.Lock()
	old, known := s.hash[rel]
	s.mu.Unlock()
	switch {
	case gone(err):
		return verdict{op: Remove, counts: known}
	case err != nil:
		// Unreadable: it cannot be proved unchanged, and sum 0 stands for
		// "present but unread" so that its removal is still reported.
		return verdict{op: Write, counts: true}
	}
	return verdict{op: Write, sum: sum, counts: !known || old != sum}
}

func (s *sums) record(rel string, v verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.op == Remove {
		delete(s.hash, rel)
	} else {
		s.hash[rel] = v.sum
	}
}

// under lists the recorded paths inside the directory dir ("." for all):
// when a directory goes away its files send no events of their own.
func (s *sums) under(dir string) []string {
	prefix := dir + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	var paths []string
	for rel := range s.hash {
		if dir == "." || strings.HasPrefix(rel, prefix) {
			paths = append(paths, rel)
		}
	}
	return paths
}

// forgetDir drops the recorded files directly in the directory dir, no
// longer watched: when it is again, its files are judged by their times.
func (s *sums) forgetDir(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for rel := range s.hash {
		if path.Dir(rel) == dir {
			delete(s.hash, rel)
		}
	}
}

// sum hashes the content of rel; a path that is not a regular file (a
// directory now, or a fifo that would block the read) counts as gone.
func (s *sums) sum(rel string) (uint64, error) {
	name := filepath.Join(s.root, filepath.FromSlash(path.Clean(rel)))
	info, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	if !info.Mode().IsRegular() {
		return 0, fs.ErrNotExist
	}
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h maphash.Hash
	h.SetSeed(s.seed)
	buf := bufs.Get().(*[]byte)
	defer bufs.Put(buf)
	// CopyBuffer with the file hidden behind a plain Reader: os.File's
	// WriteTo would try splice and sendfile first and allocate its own buffer.
	if _, err := io.CopyBuffer(&h, struct{ io.Reader }{f}, *buf); err != nil {
		return 0, err
	}
	return h.Sum64(), nil
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// gone reports whether err means the path no longer exists, which is never
// a failure here: files and directories vanish between event and look.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
