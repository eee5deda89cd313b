package runner

import (
	"fmt"
	"os"
	"strings"
)

// ParseSignal returns the signal called name ("SIGTERM", "term", "INT").
func ParseSignal(name string) (os.Signal, error) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	s, ok := signalNames[n]
	if !ok {
		return nil, fmt.Errorf("unknown signal %q", name)
	}
	return s, nil
}

// SignalName is the inverse of ParseSignal, for reports.
func SignalName(sig os.Signal) string {
	for n, s := range signalNames {
		if s == sig {
			return n
		}
	}
	return sig.String()
}
