package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/windows"
)

// processLives reports whether pid runs.
func processLives(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == 259 // STILL_ACTIVE
}

func parseTestSignal(name string) (os.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(name), "SIG") {
	case "INT":
		return os.Interrupt, nil
	case "KILL":
		return os.Kill, nil
	}
	return nil, fmt.Errorf("signal %s does not exist on Windows", name)
}

func makeFIFO(path string) (*os.File, error) {
	return nil, fmt.Errorf("mkfifo: no named pipes in the file system on Windows")
}

func stdinFrom() {
	fmt.Fprintln(os.Stderr, "stdinfrom: not on Windows")
	os.Exit(2)
}
