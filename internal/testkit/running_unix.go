//go:build unix

package testkit

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Running reports whether pid exists and is not a zombie: a zombie holds
// no port and no file, and its reaper may be a moment late.
func Running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: kill says it exists
	}
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || i+2 >= len(data) || data[i+2] != 'Z'
}
