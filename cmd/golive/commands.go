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
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/golive-dev/golive/internal/airconf"
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
	content := exampleConfig
	if inv.fromAir {
		var ok bool
		if content, ok = fromAir(inv, stderr); !ok {
			return exitUsage
		}
	}
	path := filepath.Join(inv.dir, config.FileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return reportUsage(stderr, fmt.Errorf("%s already exists; remove it first to start over", path))
	}
	if err != nil {
		return reportUsage(stderr, err)
	}
	_, err = f.Write(content)
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

// cmdBuild builds once, as the watch mode would, for editors and CI:
// the program, or every service.
func cmdBuild(s *setup) int {
	// Ctrl-C kills go build's process group and still removes the work
	// directory.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(s.cfg.Services) == 0 {
		return buildOnce(ctx, s, s.cfg, "", s.log)
	}
	status := exitOK
	for _, sv := range s.cfg.Services {
		cfg := s.cfg
		cfg.Services, cfg.Build.Package = nil, sv.Package
		if code := buildOnce(ctx, s, cfg, sv.Name, s.log.WithService(sv.Name)); code != exitOK {
			status = code
		}
	}
	return status
}

// buildOnce builds cfg's program once.
func buildOnce(ctx context.Context, s *setup, cfg config.Config, service string, log *events.Logger) int {
	pkg := cfg.Build.Package
	work, err := builder.NewServiceWorkDir(s.startDir, service, session.BinaryName(s.startDir, pkg))
	if err != nil {
		log.Errorf("%v", err)
		return exitUsage
	}
	defer work.Remove()
	log.Emit(events.Event{Type: events.BuildStart, Package: pkg})
	if !runner.ReportBuild(log, session.BuildOnce(ctx, cfg, s.startDir, work, log)) {
		return exitBuildFailed
	}
	return exitOK
}

// fromAir converts the air config init --from-air names, or finds, into
// .reload.toml's text, and says on stderr, one line each, what it left
// out and why. It reports false when it printed an error instead.
func fromAir(inv *invocation, stderr io.Writer) ([]byte, bool) {
	file := inv.airFile
	if file == "" {
		if file = airconf.Find(inv.dir); file == "" {
			reportUsage(stderr, fmt.Errorf("no air config here: neither %s; name it: golive init --from-air FILE", strings.Join(airconf.Names, " nor ")))
			return nil, false
		}
	} else if !filepath.IsAbs(file) {
		file = filepath.Join(inv.dir, file)
	}
	if _, err := os.Stat(filepath.Join(inv.dir, config.FileName)); err == nil {
		reportUsage(stderr, fmt.Errorf("%s already exists; remove it first to start over", filepath.Join(inv.dir, config.FileName)))
		return nil, false
	}
	cfg, notes, err := airconf.Read(file, runtime.GOOS)
	if err != nil {
		reportUsage(stderr, err)
		return nil, false
	}
	name := file
	if rel, err := filepath.Rel(inv.dir, file); err == nil {
		name = rel
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, n.Format(name))
	}
	out, err := config.Encode(cfg)
	if err != nil {
		reportUsage(stderr, err)
		return nil, false
	}
	header := fmt.Sprintf("# golive settings, converted from %s by golive init --from-air.\n# Every key is shown with its value; .reload.toml.example documents them.\n\n", name)
	return append([]byte(header), out...), true
}
