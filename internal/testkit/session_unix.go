//go:build unix

package testkit

import "syscall"

// sessionAttr starts a process in a session of its own: out of the
// program's process group, as a daemon would go.
func sessionAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
