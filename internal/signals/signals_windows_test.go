package signals

import "testing"

func TestWindowsSignalNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"TERM", "int", "SIGHUP", "QUIT", "KILL"} {
		if _, err := Parse(name); err != nil {
			t.Errorf("Parse(%q): %v", name, err)
		}
	}
	for _, name := range []string{"USR1", "SIGUSR2"} {
		if _, err := Parse(name); err == nil {
			t.Errorf("Parse(%q) succeeded; Windows has no such signal", name)
		}
	}
}
