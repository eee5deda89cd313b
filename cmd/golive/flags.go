package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/config"
)

// invocation is what the command line asked for.
type invocation struct {
	command    string // "" (watch), build, config, init, version, help
	dir        string // -C
	configFile string // -c
	events     string // --events
	fromAir    bool   // init --from-air
	airFile    string // init --from-air FILE
	progArgs   []string
	set        map[string]bool // flags given, by name
	flags      flagValues
}

// flagValues are the flags that override config keys.
type flagValues struct {
	pkgs      stringList
	color     string
	logFormat string
	debounce  time.Duration
	plugins   stringList
	proxy     string
	debug     bool
	verbose   bool
	poll      bool
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

var commands = []string{"build", "config", "init", "version", "help"}

func newFlagSet(inv *invocation, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("golive", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&inv.dir, "C", "", "run as if golive was started in `dir`")
	fs.StringVar(&inv.configFile, "c", "", "config `file` (default .reload.toml in the start directory)")
	fs.Var(&inv.flags.pkgs, "p", "main `package` to build (build.package), e.g. ./cmd/server; repeated, several run as services (service)")
	fs.StringVar(&inv.flags.color, "color", "", "colour: auto, always or never (log.color)")
	fs.StringVar(&inv.flags.logFormat, "log-format", "", "golive's own lines as text or json (log.format)")
	fs.DurationVar(&inv.flags.debounce, "debounce", 0, "quiet `window` that ends a burst of edits (watch.debounce)")
	fs.StringVar(&inv.events, "events", "", "also write golive's events as JSON lines to `file`, a stream the program never writes to")
	fs.StringVar(&inv.flags.proxy, "proxy", "", "browser proxy `LISTEN=TARGET`: the address to open (proxy.listen) and the program's URL (proxy.target), e.g. 127.0.0.1:8090=http://127.0.0.1:8080; TARGET alone keeps the address; off: no proxy")
	fs.BoolVar(&inv.flags.poll, "poll", false, "list the watched directories every watch.poll_interval instead of waiting for events (watch.poll)")
	fs.BoolVar(&inv.flags.verbose, "v", false, "also say why a changed path triggered nothing (log.verbose)")
	fs.BoolVar(&inv.flags.debug, "debug", false, "run the program under delve, restarted in place on every save, for an editor to attach to (run.debug)")
	fs.Var(&inv.flags.plugins, "plugin", "`package` reloaded in process, repeatable (plugins.packages)")
	fs.BoolVar(&inv.fromAir, "from-air", false, "with init: write .reload.toml from an air config (.air.toml, then .config/air.toml, or the file named after the flag)")
	fs.Bool("version", false, "print golive's version and exit") // read through fs.Visit
	fs.Usage = func() { usage(fs, out) }
	return fs
}

func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprint(out, `golive builds and runs a Go program, and rebuilds and restarts it on every save.

Usage:
  golive [flags] [-- program args]   build, run and watch (the default)
  golive build [flags]               build once; exit 1 on a compile error
  golive config [flags]              print the effective configuration as TOML
  golive init                        write .reload.toml with every key and its default
  golive init --from-air [FILE]      write .reload.toml from an air config, one line per key left out
  golive version                     print the version

Flags (a key in parentheses is the config key that the flag overrides):
`)
	fs.PrintDefaults()
	fmt.Fprint(out, `
Keys without a flag are set in .reload.toml; see .reload.toml.example and docs/.
`)
}

// parseArgs reads golive's command line. Everything after "--" belongs to
// the program.
func parseArgs(args []string, out io.Writer) (*invocation, error) {
	inv := &invocation{set: map[string]bool{}}
	if i := slices.Index(args, "--"); i >= 0 {
		args, inv.progArgs = args[:i], args[i+1:]
	}
	if len(args) > 0 && slices.Contains(commands, args[0]) {
		inv.command, args = args[0], args[1:]
	}
	fs := newFlagSet(inv, out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.command = "help"
			return inv, nil
		}
		return nil, err
	}
	if fs.NArg() > 0 && inv.command == "" && slices.Contains(commands, fs.Arg(0)) {
		inv.command = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	if inv.command == "init" && inv.fromAir && fs.NArg() == 1 {
		inv.airFile = fs.Arg(0)
		return inv, visitSet(fs, inv)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; program arguments go after --, as in golive -- %s", fs.Arg(0), strings.Join(fs.Args(), " "))
	}
	return inv, visitSet(fs, inv)
}

// visitSet records the flags given, and makes --version the command.
func visitSet(fs *flag.FlagSet, inv *invocation) error {
	fs.Visit(func(f *flag.Flag) { inv.set[f.Name] = true })
	if inv.set["version"] {
		inv.command = "version"
	}
	if inv.fromAir && inv.command != "init" {
		return errors.New("--from-air goes with init: golive init --from-air [FILE]")
	}
	return nil
}

// apply lays the flags given over cfg.
func (inv *invocation) apply(cfg *config.Config) {
	f := inv.flags
	if inv.set["p"] {
		if len(f.pkgs) == 1 {
			cfg.Build.Package = f.pkgs[0]
		} else {
			cfg.Build.Package, cfg.Services = "", servicesOf(f.pkgs)
		}
	}
	if inv.set["color"] {
		cfg.Log.Color = f.color
	}
	if inv.set["log-format"] {
		cfg.Log.Format = f.logFormat
	}
	if inv.set["debounce"] {
		cfg.Watch.Debounce = config.Duration(f.debounce)
	}
	if inv.set["proxy"] {
		listen, target, ok := strings.Cut(f.proxy, "=")
		if ok {
			cfg.Proxy.Listen = listen
		} else {
			target = listen
		}
		cfg.Proxy.Target = target
	}
	if inv.set["debug"] {
		cfg.Run.Debug = f.debug
	}
	if inv.set["v"] {
		cfg.Log.Verbose = f.verbose
	}
	if inv.set["poll"] {
		cfg.Watch.Poll = f.poll
	}
	if inv.set["plugin"] {
		cfg.Plugins.Packages = append(cfg.Plugins.Packages, f.plugins...)
	}
	if len(inv.progArgs) > 0 {
		cfg.Run.Args = inv.progArgs
	}
}

// servicesOf makes a service of each package -p named, called after its
// directory (with a number when two share one).
func servicesOf(pkgs []string) []config.Service {
	var out []config.Service
	seen := map[string]int{}
	for _, p := range pkgs {
		name := filepath.Base(filepath.Clean(p))
		if name == "." || name == string(filepath.Separator) {
			name = "app"
		}
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s%d", name, seen[name])
		}
		out = append(out, config.Service{Name: name, Package: p})
	}
	return out
}
