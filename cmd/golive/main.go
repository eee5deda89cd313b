// Command golive builds and runs a Go program, and rebuilds and restarts
// it on every save. See docs/ for the whole story.
package main

import (
	"errors"
	"io"
	"os"

	"github.com/golive-dev/golive/internal/session"
	"github.com/golive-dev/golive/internal/supervise"
)

func main() {
	if supervise.IsKeeper() {
		os.Exit(supervise.RunKeeper())
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses, listed in docs/cli.md.
const (
	exitOK          = 0
	exitBuildFailed = 1
	exitUsage       = 2
)

// run is golive without the process around it, so tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inv, err := parseArgs(args, stderr)
	if err != nil {
		return reportUsage(stderr, err)
	}
	switch inv.command {
	case "help":
		return exitOK
	case "version":
		printVersion(stdout)
		return exitOK
	case "init":
		return cmdInit(inv, stdout, stderr)
	}
	s, err := setUp(inv, stderr)
	if err != nil {
		return reportUsage(stderr, err)
	}
	defer s.close()
	switch inv.command {
	case "config":
		return cmdConfig(s, stdout, stderr)
	case "build":
		return cmdBuild(s)
	}
	return watch(s, stdin, stdout, stderr)
}

// watch is golive's main job (package session), until Ctrl-C or SIGTERM.
// It returns only once nothing of the program is left.
func watch(s *setup, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, force, stopSignals := interrupts()
	defer stopSignals()
	rebuild := make(chan struct{})
	defer notifyRebuild(rebuild)()
	err := session.New(session.Options{
		Config: s.cfg, Dir: s.startDir, Log: s.log,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Force: force, Rebuild: rebuild,
	}).Run(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, session.ErrReported):
		return exitUsage
	}
	return reportUsage(stderr, err)
}
