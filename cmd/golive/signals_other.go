//go:build !unix

package main

import (
	"os"
	"syscall"
)

// stopSignals stop golive; Windows reports a closed console as SIGTERM.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// notifyRebuild does nothing: there is no SIGUSR1 here; r and Enter work.
func notifyRebuild(chan<- struct{}) (stop func()) { return func() {} }
