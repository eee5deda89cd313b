//go:build (linux || darwin || freebsd) && cgo && !golive

package hot

const why = "it was built without the build tag golive, which compiles the loader in"
