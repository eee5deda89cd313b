package airconf

import (
	"path"
	"slices"
	"strings"
)

// program maps how air starts the program. air runs full_bin when it is
// set, else entrypoint, else bin, and puts args_bin after that command's
// own arguments. golive runs the binary it builds itself, so what carries
// over is the environment and the arguments of the command air runs —
// and none of it when that command runs the binary under another program
// (delve, sudo, a script): its words are that program's, and as run.args
// they would reach the binary instead.
func (c *converter) program() {
	binKey, entryKey, fullKey, argsKey := c.field("bin"), c.field("entrypoint"), c.field("full_bin"), c.field("args_bin")
	built := c.built(binKey)
	if c.has(binKey) {
		c.note(binKey, "golive runs the binary it builds itself; left out")
	}
	taken := true // whether the command air runs maps to run.env and run.args
	full, _ := c.str(fullKey)
	switch {
	case strings.TrimSpace(full) != "":
		if c.has(entryKey) {
			c.note(entryKey, "air runs full_bin instead and ignores it; left out")
		}
		taken = c.fullBin(fullKey, full, built)
	case c.has(entryKey):
		taken = c.entrypoint(entryKey, built)
	}
	args, ok := c.strs(argsKey)
	switch {
	case !ok || len(args) == 0:
	case taken:
		c.cfg.Run.Args = append(c.cfg.Run.Args, args...)
	default:
		c.note(argsKey, "air adds them to the command left out above, not to the binary's own arguments; left out")
	}
}

// built lists where air's build leaves the program: go build's -o, and
// bin, or air's default bin in tmp_dir when bin is not set.
func (c *converter) built(binKey string) []string {
	paths := slices.Clone(c.outputs)
	if v, ok := c.get(binKey); ok {
		if bin, ok := v.(string); ok && bin != "" {
			paths = append(paths, bin)
		}
		return paths
	}
	tmp := "tmp"
	if v, ok := c.get("tmp_dir"); ok {
		if dir, ok := v.(string); ok && usableDir(dir) {
			tmp = dir
		}
	}
	return append(paths, tmp+"/main")
}

// fullBin maps air's full_bin, a shell line, when it is an environment,
// the built binary and its arguments. It reports whether it did.
func (c *converter) fullBin(key, line string, built []string) bool {
	cmds, ok := splitLine(line)
	if !ok || len(cmds) != 1 {
		c.note(key, "golive runs the binary it builds itself, and %q is more than an environment, a binary and arguments; left out", line)
		return false
	}
	if prog := c.runner(cmds[0].args, built); prog != "" {
		c.underAnother(key, line, prog)
		return false
	}
	for _, kv := range cmds[0].env {
		if c.cfg.Run.Env == nil {
			c.cfg.Run.Env = map[string]string{}
		}
		c.cfg.Run.Env[kv[0]] = kv[1]
	}
	c.cfg.Run.Args = append(c.cfg.Run.Args, cmds[0].args[1:]...)
	return true
}

// entrypoint maps air's entrypoint, the binary and its arguments as an
// array (or the binary alone, as a string), when that binary is the one
// the build makes. It reports whether it did.
func (c *converter) entrypoint(key string, built []string) bool {
	v, _ := c.get(key)
	var args []string
	switch e := v.(type) {
	case string:
		args = []string{e}
	case []any:
		for _, a := range e {
			s, ok := a.(string)
			if !ok {
				c.note(key, "want a string or an array of strings; left out")
				return false
			}
			args = append(args, s)
		}
	default:
		c.note(key, "want a string or an array of strings; left out")
		return false
	}
	if len(args) == 0 || args[0] == "" {
		return true // air runs bin then
	}
	if prog := c.runner(args, built); prog != "" {
		c.underAnother(key, strings.Join(args, " "), prog)
		return false
	}
	if len(args) == 1 {
		c.note(key, "golive runs the binary it builds itself; nothing to set")
		return true
	}
	c.cfg.Run.Args = append(c.cfg.Run.Args, args[1:]...)
	c.note(key, "golive runs the binary it builds itself; its arguments went to run.args")
	return true
}

// runner names the program a run command starts the built binary under,
// or returns "" when the command's first word is that binary. A word with
// no path separator is a program on PATH: the shell looks it up there,
// and so does air for an entrypoint. A path is another program when the
// built binary comes later in the command (a script that starts it), or
// when go build -o says the binary is elsewhere. A path golive cannot
// tell from the binary, after a build that is no go build -o (make), is
// taken for it: that build may write the binary anywhere.
func (c *converter) runner(args, built []string) string {
	isBuilt := func(w string) bool {
		return slices.ContainsFunc(built, func(b string) bool { return samePath(w, b) })
	}
	switch first := args[0]; {
	case isBuilt(first):
		return ""
	case !strings.ContainsAny(first, `/\`), len(c.outputs) > 0, slices.ContainsFunc(args[1:], isBuilt):
		return first
	}
	return ""
}

// underAnother notes a run command that starts the binary under prog.
func (c *converter) underAnother(key, line, prog string) {
	if programName(prog) == "dlv" {
		c.note(key, "%q runs the program under delve: golive runs the binary it builds itself, and run.debug = true (or golive --debug) runs it under a headless delve of golive's; left out", line)
		return
	}
	c.note(key, "%q runs the program under %s: golive runs the binary it builds itself, under no other program; left out", line, prog)
}

// samePath reports whether two of air's paths name one program:
// ./tmp/main, tmp/main and tmp\main.exe do.
func samePath(a, b string) bool {
	norm := func(p string) string {
		return strings.TrimSuffix(path.Clean(strings.ReplaceAll(p, `\`, "/")), ".exe")
	}
	return norm(a) == norm(b)
}

// programName is a command's program without its directory or .exe.
func programName(word string) string {
	return strings.TrimSuffix(path.Base(strings.ReplaceAll(word, `\`, "/")), ".exe")
}
