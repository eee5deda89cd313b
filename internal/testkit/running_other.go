//go:build !unix

package testkit

import "os"

// Running reports whether the system still knows pid: there is no /proc
// or kill(2) here to tell a live process from one that ended.
func Running(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
