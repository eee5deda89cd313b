//go:build !unix

package session

import "os"

// foreground is always true: Windows consoles have no background jobs,
// and golive knows none elsewhere.
func foreground(*os.File) bool { return true }

func ignoreTTIN() {}

func isEIO(error) bool { return false }
