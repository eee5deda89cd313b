//go:build golive && cgo && (linux || darwin || freebsd)

package hot

import (
	"fmt"
	"plugin"
	"runtime"
	"strings"
)

// unsupported is empty: this build can load plugins.
const unsupported = ""

// openBuild opens a plugin, which runs its init functions. A panic in
// one of them reaches plugin.Open's caller, here, and is recovered into
// an error that says where it happened; the runtime keeps that build's
// package paths claimed, which is harmless because golive never reuses
// them. What cannot be recovered ends the program as it would anywhere:
// a fatal runtime error, os.Exit, a panic on a goroutine the init started.
func openBuild(pkg, path string) (lookup lookupFunc, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("hot: panic in init of %s: %v%s", pkg, r, panicSite())
		}
	}()
	p, err := plugin.Open(path)
	if err != nil {
		return nil, err
	}
	return func(name string) (any, error) {
		s, err := p.Lookup(name)
		return any(s), err
	}, nil
}

// panicSite returns " at file:line" of the function that panicked, called
// from the deferred function that recovered.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf(" at %s:%d", f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}
