package main

import (
	"context"
	"os"
	"os/signal"
)

// interrupts turns the first of stopSignals (SIGINT, SIGTERM, SIGHUP) into
// a cancelled context and the second into a closed force channel: stop
// now, kill if need be.
func interrupts() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				if n == 1 {
					cancel()
				} else if n == 2 {
					close(force)
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, force, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
