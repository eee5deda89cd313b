//go:build !unix

package testkit

import "syscall"

// sessionAttr: Windows has no sessions to escape into; the job holds the
// tree whatever the process does.
func sessionAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
