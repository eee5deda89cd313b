//go:build unix && !linux

package runner

import "syscall"

// setParentDeath does nothing: only Linux has a parent-death signal. On
// macOS and the BSDs a golive that is SIGKILLed leaves its program running
// (docs/supervision.md says so).
func setParentDeath(*syscall.SysProcAttr) {}

// BecomeSubreaper does nothing: only Linux has child subreapers.
func BecomeSubreaper() error { return nil }
