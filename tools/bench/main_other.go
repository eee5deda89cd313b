//go:build !linux

// Command bench measures golive against the go build floor and its
// peers. It reads /proc and uses Linux process control: Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench: Linux only (it reads /proc and uses process groups and a child subreaper)")
	os.Exit(2)
}
