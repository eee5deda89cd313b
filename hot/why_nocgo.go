//go:build (linux || darwin || freebsd) && !cgo

package hot

const why = "it was built with CGO_ENABLED=0, and plugins need cgo"
