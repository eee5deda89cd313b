// Package config holds golive's settings: defaults, the strict
// .reload.toml file, and validation that names the key and line of every
// mistake. It knows nothing of watching, building or running;
// internal/session turns a Config into the options of those packages.
package config

import (
	"net/url"
	"strings"
	"time"
)

// FileName is the config file golive reads from the start directory.
const FileName = ".reload.toml"

// Config is every setting golive has. Field tags are the TOML keys; the
// "inline" option only makes Encode write maps as `env = {}` tables, so an
// empty map still shows its key.
type Config struct {
	Watch   Watch   `toml:"watch"`
	Build   Build   `toml:"build"`
	Run     Run     `toml:"run"`
	Plugins Plugins `toml:"plugins"`
	Proxy   Proxy   `toml:"proxy"`
	Log     Log     `toml:"log"`
	// Rules are the [[rule]] blocks, in the order of the file.
	Rules []Rule `toml:"rule"`
	// Processes are the [[process]] blocks: commands that run beside
	// the program, started in the order of the file.
	Processes []Process `toml:"process"`
	// Services are the [[service]] blocks: several main packages built
	// and run by one golive, each on its own. With none, build.package
	// and run.* describe the one program.
	Services []Service `toml:"service"`
}

// Service is one main package of several: its own build, program and
// restarts. The keys it leaves empty are the [build] and [run] tables'.
type Service struct {
	Name        string            `toml:"name"`    // the prefix of its lines and its events' service
	Package     string            `toml:"package"` // its main package, relative to the start directory
	Args        []string          `toml:"args"`
	Env         map[string]string `toml:"env,inline"` // over run.env
	EnvFile     string            `toml:"env_file"`
	Ready       string            `toml:"ready"`
	StopSignal  string            `toml:"stop_signal"`
	StopTimeout Duration          `toml:"stop_timeout"`
	Restart     string            `toml:"restart"`
	After       []string          `toml:"after"` // services that must be ready before each start of this one
}

// Process is a command that runs beside the program (tailwindcss
// --watch, a queue), supervised as the program is, never built.
type Process struct {
	Name string `toml:"name"` // the prefix of its lines and its events' service
	// Run is the command: an array of strings (argv), or one string
	// (the shell's, with Shell; without it, its words as argv).
	Run         any               `toml:"run"`
	Shell       bool              `toml:"shell"`
	Env         map[string]string `toml:"env,inline"` // added to golive's environment
	Dir         string            `toml:"dir"`        // relative to the start directory; empty: it
	Restart     string            `toml:"restart"`    // never, on-failure or always
	Ready       string            `toml:"ready"`      // tcp:// or http:// address it answers on once up
	Watch       []string          `toml:"watch"`      // globs whose changes restart it
	StopSignal  string            `toml:"stop_signal"`
	StopTimeout Duration          `toml:"stop_timeout"`
}

// Argv is the process's command as the argv to run. Validate has made
// Run a string or a []string.
func (p Process) Argv() []string { return argvOf(p.Run, p.Shell) }

// Rule runs a command for the changes its globs match, before the build
// of their batch, and says what the changes need then.
type Rule struct {
	Match []string `toml:"match"` // doublestar globs relative to the start directory
	// Run is the command: an array of strings (argv), or one string
	// (the shell's, with Shell; without it, its words as argv). Empty:
	// no command, the rule only says what its files need.
	Run     any      `toml:"run"`
	Shell   bool     `toml:"shell"`
	Then    string   `toml:"then"`    // rebuild, restart, reload or none
	Timeout Duration `toml:"timeout"` // the command is killed after it; unset or 0: a minute (RuleTimeout)
}

// The values of rule.then.
const (
	ThenRebuild = "rebuild"
	ThenRestart = "restart"
	ThenReload  = "reload"
	ThenNone    = "none"
)

// RuleTimeout is a rule's timeout when it names none.
const RuleTimeout = Duration(time.Minute)

// CommandTimeout is the default of build.commands_timeout and
// run.before_start_timeout: a rule's.
const CommandTimeout = RuleTimeout

// Argv is the rule's command as the argv to run, nil when it has none.
// Validate has made Run a string or a []string.
func (r Rule) Argv() []string { return argvOf(r.Run, r.Shell) }

func argvOf(run any, shell bool) []string {
	switch run := run.(type) {
	case string:
		if shell {
			return ShellArgv(run)
		}
		return strings.Fields(run)
	case []string:
		return run
	}
	return nil
}

// Watch decides which changes trigger a rebuild.
type Watch struct {
	Include  []string `toml:"include"`       // globs added to *.go, go.mod, go.sum
	Exclude  []string `toml:"exclude"`       // globs added to the built-in ignores
	Debounce Duration `toml:"debounce"`      // quiet window that ends a burst
	Mode     string   `toml:"mode"`          // graph (what the build reads) or tree (every Go file under the start directory)
	Poll     bool     `toml:"poll"`          // list the watched directories instead of waiting for events
	Interval Duration `toml:"poll_interval"` // how often a polled directory is listed
	// AllowRoot lets golive watch / or the home directory itself, however large.
	AllowRoot bool `toml:"allow_root"`
	// GitIgnore leaves out what git ignores: in tree mode, and the include globs' files.
	GitIgnore bool `toml:"gitignore"`
}

// Build is how the program is built.
type Build struct {
	Package string            `toml:"package"`    // main package; empty means discover it
	Flags   []string          `toml:"flags"`      // extra go build flags
	Tags    []string          `toml:"tags"`       // build tags
	LDFlags string            `toml:"ldflags"`    // merged with the dev profile's -w
	Env     map[string]string `toml:"env,inline"` // extra environment for go build
	Debug   bool              `toml:"debug"`      // keep DWARF for debuggers
	Replay  bool              `toml:"replay"`     // rebuild edits of compiled packages without the go command
	Before  []string          `toml:"before"`     // shell commands before every build
	After   []string          `toml:"after"`      // shell commands after every good build, before the restart
	// CommandsTimeout bounds each command of Before and After, as a
	// rule's timeout does its command; 0: no limit.
	CommandsTimeout Duration `toml:"commands_timeout"`
}

// Run is how the program is run and stopped.
type Run struct {
	Args        []string          `toml:"args"`
	Env         map[string]string `toml:"env,inline"`
	EnvFile     string            `toml:"env_file"`
	StopSignal  string            `toml:"stop_signal"`
	StopTimeout Duration          `toml:"stop_timeout"`
	Restart     string            `toml:"restart"` // never, on-failure, always
	Ready       string            `toml:"ready"`   // tcp://host:port or http://...
	Stdin       bool              `toml:"stdin"`
	Debug       bool              `toml:"debug"`        // run under one headless delve that survives reloads
	DebugListen string            `toml:"debug_listen"` // delve's API address
	BeforeStart []string          `toml:"before_start"` // shell commands before every start
	// BeforeStartTimeout bounds each command of BeforeStart; 0: no limit.
	BeforeStartTimeout Duration `toml:"before_start_timeout"`
}

// Plugins lists packages reloaded inside the running program.
type Plugins struct {
	Packages   []string `toml:"packages"`
	MaxReloads int      `toml:"max_reloads"`
}

// Proxy is the browser proxy in front of the program.
type Proxy struct {
	Listen     string   `toml:"listen"`      // host:port the browser opens
	Target     string   `toml:"target"`      // the program's URL; empty: run.ready's http address; "off"
	Service    string   `toml:"service"`     // with [[service]] blocks: the one the proxy fronts
	ReloadOnly []string `toml:"reload_only"` // globs of files the pages load from disk: no build
	Editor     string   `toml:"editor"`      // link pattern of a diagnostic in the overlay
	Wait       Duration `toml:"wait"`        // how long a request waits for a restarting program
}

// ProxyListen is proxy.listen's default.
const ProxyListen = "127.0.0.1:8090"

// ProxyTarget returns the program's URL the proxy forwards to, or "" when
// the proxy is off: proxy.target, else the scheme and host of an http://
// run.ready.
func (c Config) ProxyTarget() string {
	switch t := c.Proxy.Target; {
	case t == "off":
		return ""
	case t != "":
		return t
	case strings.HasPrefix(c.Run.Ready, "http://"):
		u, err := url.Parse(c.Run.Ready)
		if err != nil {
			return ""
		}
		return "http://" + u.Host
	}
	return ""
}

// Log is how golive reports.
type Log struct {
	Format  string `toml:"format"`  // text or json
	Color   string `toml:"color"`   // auto, always or never
	Verbose bool   `toml:"verbose"` // also say why a changed path was ignored
}

// Duration is a time.Duration written as a Go duration string ("150ms").
type Duration time.Duration

// Default returns the settings golive uses with no file and no flags.
func Default() Config {
	return Config{
		Watch: Watch{Debounce: Duration(10 * time.Millisecond), Mode: "graph", Interval: Duration(500 * time.Millisecond), GitIgnore: true},
		Build: Build{Replay: true, CommandsTimeout: CommandTimeout},
		Run: Run{
			StopSignal:         "SIGTERM",
			StopTimeout:        Duration(5 * time.Second),
			Restart:            "never",
			DebugListen:        "127.0.0.1:2345",
			BeforeStartTimeout: CommandTimeout,
		},
		Plugins: Plugins{MaxReloads: 50},
		Proxy: Proxy{
			Listen: ProxyListen,
			Editor: "vscode://file{path}:{line}:{col}",
			Wait:   Duration(10 * time.Second),
		},
		Log: Log{Format: "text", Color: "auto"},
	}
}
