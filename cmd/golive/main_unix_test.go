//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// processLives reports whether pid runs and is not a zombie.
func processLives(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS): kill said it exists
	}
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || i+2 >= len(data) || data[i+2] != 'Z'
}

func parseTestSignal(name string) (os.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(name), "SIG") {
	case "TERM":
		return syscall.SIGTERM, nil
	case "INT":
		return syscall.SIGINT, nil
	case "USR1":
		return syscall.SIGUSR1, nil
	case "KILL":
		return syscall.SIGKILL, nil
	}
	return nil, fmt.Errorf("unknown signal %s", name)
}

// makeFIFO makes a named pipe at path and opens it for reading and
// writing: open then never blocks, whether or not a reader came first,
// and the reader sees no end of file while the script holds it.
func makeFIFO(path string) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("mkfifo %s: %w", path, err)
	}
	return os.OpenFile(path, os.O_RDWR, 0)
}

// stdinFrom is the stdinfrom command: stdinfrom FILE CMD [ARGS...] runs
// CMD with FILE as its stdin. It execs CMD in its own place, so the
// script's kill and signal reach CMD itself.
func stdinFrom() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: stdinfrom FILE CMD [ARGS...]")
		os.Exit(2)
	}
	if err := execWithStdin(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "stdinfrom: %v\n", err)
		os.Exit(2)
	}
}

func execWithStdin(file string, argv []string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	if err := unix.Dup2(int(f.Fd()), 0); err != nil {
		return err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, argv, os.Environ())
}
