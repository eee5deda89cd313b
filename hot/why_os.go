//go:build !linux && !darwin && !freebsd

package hot

const why = "Go plugins work on Linux, macOS and FreeBSD only"
