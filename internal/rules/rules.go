// Package rules runs the commands .reload.toml asks for around builds:
// a [[rule]]'s command for the changed files its globs match, before the
// build of their batch, and the build's and the start's own command
// lists. It finds the files a command wrote, so that a generator's
// output joins the build it was run for and never starts another one,
// and it says what a batch needs once its commands ran: a build, a
// restart, a browser reload, or nothing. It knows nothing of watching or
// of the loop: the session asks it, between the watcher and the runner.
package rules

import (
	"fmt"
	"strings"
	"time"
)

// Action is what a batch needs once its rules ran. The order matters:
// a batch needs the strongest action any of its paths needs.
type Action int

const (
	None    Action = iota // nothing more: the command was the point
	Reload                // the browser reloads, through the proxy
	Restart               // the program starts again, no build
	Rebuild               // a build, then a restart
)

// ParseAction reads rule.then's words (validated by config).
func ParseAction(s string) Action {
	switch s {
	case "none":
		return None
	case "reload":
		return Reload
	case "restart":
		return Restart
	}
	return Rebuild
}

func (a Action) String() string {
	return [...]string{"none", "reload", "restart", "rebuild"}[a]
}

// Rule is one [[rule]] block.
type Rule struct {
	Name    string                // how messages name it: "rule[0] (templ generate)"
	Match   func(rel string) bool // its globs
	Argv    []string              // nil: no command
	Then    Action
	Timeout time.Duration // 0: none
}

// Describe names a rule for messages: its key and its command.
func Describe(key string, argv []string) string {
	if len(argv) == 0 {
		return key
	}
	cmd := strings.Join(argv, " ")
	if len(argv) == 3 && (argv[0] == "sh" && argv[1] == "-c" || argv[0] == "cmd" && argv[1] == "/C") {
		cmd = argv[2]
	}
	if len(cmd) > maxShown {
		cmd = cmd[:maxShown-1] + "…" // a shell script of a line; the file holds it whole
	}
	return fmt.Sprintf("%s (%s)", key, cmd)
}

// maxShown bounds a command as a message names it.
const maxShown = 48
