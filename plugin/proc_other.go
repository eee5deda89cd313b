//go:build !unix

package plugin

import "os/exec"

// killWithChildren leaves cmd as it is: there are no plugins on these
// systems, so no plugin build runs long enough to matter.
func killWithChildren(*exec.Cmd) {}
