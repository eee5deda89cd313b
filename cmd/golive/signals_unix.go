//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// stopSignals stop golive: SIGHUP too, since a closed terminal or ssh
// session is a stop, not a kill that skips the program's stop signal and
// golive's clean-up.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

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
