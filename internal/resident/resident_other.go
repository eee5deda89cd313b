//go:build !linux

// Package resident keeps golive's resident memory small while it idles.
package resident

// DropCode is Linux's (resident_linux.go); elsewhere the kernel keeps
// the pages until it needs them.
func DropCode() {}
