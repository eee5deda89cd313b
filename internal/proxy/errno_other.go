//go:build !unix && !windows

package proxy

import "strings"

// refusedOrReset reports a connection the program refused or reset. These
// systems (Plan 9) have no errno values; their errors are strings.
func refusedOrReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "refused") || strings.Contains(s, "reset") || strings.Contains(s, "hungup")
}

// addrInUse reports a listen on an address another process holds.
func addrInUse(err error) bool { return strings.Contains(err.Error(), "in use") }
