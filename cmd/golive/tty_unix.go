//go:build unix

package main

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
	return err == nil && pgrp == unix.Getpgrp()
}

// ignoreTTIN makes a read of the terminal from the background fail with
// EIO instead of stopping golive.
func ignoreTTIN() { signal.Ignore(syscall.SIGTTIN) }

func isEIO(err error) bool { return errors.Is(err, syscall.EIO) }

// notifyRebuild turns SIGUSR1 into rebuild requests, for scripts and
// editors, until stop is called.
func notifyRebuild(rebuild chan<- struct{}) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				select {
				case rebuild <- struct{}{}:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
