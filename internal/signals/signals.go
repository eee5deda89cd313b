// Package signals is the one place for the names of the signals golive
// sends to stop a program: which names it takes, how it spells them, and
// how it names the signal that ended a process. The config's validation
// and the supervisor both use it, so a name the config accepts is one
// the supervisor can send.
package signals

import (
	"fmt"
	"os"
	"strings"
)

// Canonical spells name the way golive reports it ("SIGTERM"), whatever
// its case and with or without the SIG prefix, and reports whether this
// system has a signal of that name.
func Canonical(name string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	_, ok := lookup(n)
	return n, ok
}

// Parse returns the signal called name ("SIGTERM", "term", "INT").
func Parse(name string) (os.Signal, error) {
	n, _ := Canonical(name)
	s, ok := lookup(n)
	if !ok {
		return nil, fmt.Errorf("unknown signal %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names lists the signals golive can send on this system, in the order
// the docs give them.
func Names() []string {
	out := make([]string, len(table))
	for i, e := range table {
		out[i] = e.name
	}
	return out
}

// Name is the inverse of Parse, for reports.
func Name(sig os.Signal) string {
	for _, e := range table {
		if e.sig == sig {
			return e.name
		}
	}
	return sig.String()
}

func lookup(name string) (os.Signal, bool) {
	for _, e := range table {
		if e.name == name {
			return e.sig, true
		}
	}
	return nil, false
}

type entry struct {
	name string
	sig  os.Signal
}
