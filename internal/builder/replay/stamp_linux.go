package replay

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Supported: replays need change times and inodes (stampOf) and have
// been checked on Linux only.
const Supported = true

// stampOf stamps the file p, through a symbolic link, since go build reads
// what a link points to: an edit of the target, which leaves the link's
// own times alone, must change the stamp. A dangling link has its own.
func stampOf(p string) (stamp, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		fi, err = os.Lstat(p)
	}
	if err != nil {
		return stamp{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{}, errUnsafe
	}
	return stamp{
		size:  fi.Size(),
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		ino:   st.Ino,
	}, nil
}

// lockFile takes f's advisory lock, or fails at once if another process
// holds it. Closing f releases it, as does the holder's death.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// ownedByMe reports whether fi belongs to the user golive runs as: in a
// cache directory that users share, nobody removes another's store.
func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
