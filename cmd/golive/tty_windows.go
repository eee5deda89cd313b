package main

import "os"

// foreground is always true: Windows consoles have no background jobs.
func foreground(*os.File) bool { return true }

func ignoreTTIN() {}

func isEIO(error) bool { return false }

// notifyRebuild does nothing: Windows has no SIGUSR1; "r" and Enter work.
func notifyRebuild(chan<- struct{}) (stop func()) { return func() {} }
