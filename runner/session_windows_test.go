package runner

import "syscall"

// newSessionAttr: Windows has no sessions to escape into; the job holds
// the tree whatever the process does.
func newSessionAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
