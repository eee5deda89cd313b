package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mattn/go-isatty"

	"github.com/golive-dev/golive/internal/airconf"
	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/project"
	"github.com/golive-dev/golive/internal/session"
)

// setup is everything resolved before anything starts.
type setup struct {
	cfg      config.Config
	startDir string // absolute; the watched root and the program's working directory
	pkg      string // main package, relative to startDir
	log      *events.Logger
	closers  []io.Closer // closed when golive is done
}

func (s *setup) close() {
	for _, c := range s.closers {
		c.Close()
	}
}

// setUp loads the config, applies the flags and finds the program. Every
// error it returns is a usage or config error (exit status 2).
func setUp(inv *invocation, stderr io.Writer) (*setup, error) {
	dir, err := filepath.Abs(inv.dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("-C %s: not a directory", inv.dir)
	}
	cfg, err := loadConfig(inv, dir)
	if err != nil {
		return nil, err
	}
	inv.apply(&cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &setup{cfg: cfg, startDir: dir, log: newLogger(cfg.Log, stderr)}
	if air := airconf.Find(dir); air != "" && inv.configFile == "" && !exists(filepath.Join(dir, config.FileName)) {
		rel, _ := filepath.Rel(dir, air)
		s.log.Infof("%s found and no %s: golive starts with its defaults; golive init --from-air writes the equal settings", rel, config.FileName)
	}
	if inv.events != "" {
		f, err := os.Create(inv.events)
		if err != nil {
			return nil, fmt.Errorf("--events: %w", err)
		}
		s.closers = append(s.closers, f)
		s.log = s.log.Also(events.New(f, events.Options{JSON: true}))
	}
	if _, err := project.ModuleRoot(dir); err != nil {
		return nil, err
	}
	s.pkg = cfg.Build.Package
	if s.pkg == "" && len(cfg.Services) == 0 {
		// Discovery judges build constraints as the build will.
		ctx := builder.Context(session.BuildOptions(cfg, dir, nil))
		s.pkg, err = project.FindMain(dir, ctx, cfg.Plugins.Packages)
		if err != nil {
			return nil, err
		}
		s.cfg.Build.Package = s.pkg // golive config shows what was found
	}
	return s, nil
}

// loadConfig reads -c FILE, or .reload.toml in dir when there is one.
func loadConfig(inv *invocation, dir string) (config.Config, error) {
	path := inv.configFile
	if path == "" {
		path = filepath.Join(dir, config.FileName)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return config.Default(), nil
		}
		// Errors name the file as the user knows it.
		if rel, err := filepath.Rel(mustWd(), path); err == nil {
			path = rel
		}
	}
	return config.Load(path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func mustWd() string {
	wd, _ := os.Getwd()
	return wd
}

func newLogger(c config.Log, w io.Writer) *events.Logger {
	return events.New(w, events.Options{JSON: c.Format == "json", Color: useColor(c.Color, w)})
}

// useColor decides colour: always and never are obeyed; auto means a
// terminal and no NO_COLOR (no-color.org).
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func reportUsage(w io.Writer, err error) int {
	fmt.Fprintf(w, "golive: %v\n", err)
	return exitUsage
}
