//go:build unix

package session

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// foreground reports whether golive's process group owns the terminal f.
func foreground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	own, err2 := unix.Getpgid(0)
	return err == nil && err2 == nil && pgrp == own
}

// ignoreTTIN makes a read of the terminal from the background fail with
// EIO instead of stopping golive.
func ignoreTTIN() { signal.Ignore(syscall.SIGTTIN) }

func isEIO(err error) bool { return errors.Is(err, syscall.EIO) }
