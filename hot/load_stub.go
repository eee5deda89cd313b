//go:build !(golive && cgo && (linux || darwin || freebsd))

package hot

import "errors"

// unsupported says why this build cannot load plugins.
const unsupported = "this program cannot load plugins: " + why

func openBuild(string, string) (lookupFunc, error) { return nil, errors.New(unsupported) }
