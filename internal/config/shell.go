package config

import "runtime"

// ShellArgv is the argv that runs line with the system's shell: sh -c on
// Unix, cmd /C on Windows.
func ShellArgv(line string) []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd", "/C", line}
	}
	return []string{"sh", "-c", line}
}
