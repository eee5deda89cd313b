package airconf

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// command is one simple command of a shell line: the variables it sets
// for itself and its words, quotes removed.
type command struct {
	env  [][2]string
	args []string
	text string // as written
}

// splitLine parses a shell line into the simple commands it runs one
// after the other (joined by && or ;). It reports false for anything
// else (a pipe, ||, a subshell, a variable to expand): such a line is
// kept whole, for the shell.
func splitLine(line string) ([]command, bool) {
	f, err := syntax.NewParser().Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, false
	}
	var out []command
	for _, st := range f.Stmts {
		if !flatten(st, line, &out) {
			return nil, false
		}
	}
	return out, len(out) > 0
}

func flatten(st *syntax.Stmt, line string, out *[]command) bool {
	if st.Background || st.Negated || len(st.Redirs) > 0 {
		return false
	}
	switch c := st.Cmd.(type) {
	case *syntax.BinaryCmd:
		return c.Op == syntax.AndStmt && flatten(c.X, line, out) && flatten(c.Y, line, out)
	case *syntax.CallExpr:
		cmd := command{text: line[st.Pos().Offset():st.End().Offset()]}
		for _, a := range c.Assigns {
			if a.Value == nil || a.Append || a.Naked || a.Index != nil {
				return false
			}
			v, ok := literal(a.Value)
			if !ok {
				return false
			}
			cmd.env = append(cmd.env, [2]string{a.Name.Value, v})
		}
		for _, w := range c.Args {
			v, ok := literal(w)
			if !ok {
				return false
			}
			cmd.args = append(cmd.args, v)
		}
		*out = append(*out, cmd)
		return len(cmd.args) > 0
	}
	return false
}

// literal is w with its quotes removed, when it expands nothing.
func literal(w *syntax.Word) (string, bool) {
	for _, p := range w.Parts {
		switch q := p.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, inner := range q.Parts {
				if _, ok := inner.(*syntax.Lit); !ok {
					return "", false
				}
			}
		default:
			return "", false
		}
	}
	// A nil config makes expand write to a package-level Config shared by
	// every caller, a data race when two conversions run at once.
	s, err := expand.Literal(&expand.Config{}, w)
	return s, err == nil
}
