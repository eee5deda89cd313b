package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/session"
	"github.com/golive-dev/golive/runner"
)

func printVersion(w io.Writer) {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintf(w, "golive %s\n", v)
}

// exampleConfig is .reload.toml.example, every key with its default. The
// file at the repository's root links to this one, which go:embed can
// reach.
//
//go:embed reload.toml.example
var exampleConfig []byte

// cmdInit writes the documented example as .reload.toml, never over an
// existing file.
func cmdInit(inv *invocation, stdout, stderr io.Writer) int {
	path := filepath.Join(inv.dir, config.FileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return reportUsage(stderr, fmt.Errorf("%s already exists; remove it first to start over", path))
	}
	if err != nil {
		return reportUsage(stderr, err)
	}
	_, err = f.Write(exampleConfig)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return reportUsage(stderr, fmt.Errorf("write %s: %w", path, err))
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return exitOK
}

// cmdConfig prints the effective configuration.
func cmdConfig(s *setup, stdout, stderr io.Writer) int {
	out, err := config.Encode(s.cfg)
	if err != nil {
		return reportUsage(stderr, err)
	}
	stdout.Write(out)
	return exitOK
}

// cmdBuild builds once, as the watch mode would, for editors and CI.
func cmdBuild(s *setup) int {
	work, err := builder.NewWorkDir(s.startDir, session.BinaryName(s.startDir, s.pkg))
	if err != nil {
		s.log.Errorf("%v", err)
		return exitUsage
	}
	defer work.Remove()
	// Ctrl-C kills go build's process group and still removes the work
	// directory.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s.log.Emit(events.Event{Type: events.BuildStart, Package: s.pkg})
	opts := session.BuildOptions(s.cfg, s.startDir, work)
	opts.Replay = false // one build: nothing to replay later
	if !runner.ReportBuild(s.log, builder.New(opts).Build(ctx, nil)) {
		return exitBuildFailed
	}
	return exitOK
}
