// Package resident keeps golive's resident memory small while it idles.
package resident

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// DropCode drops from golive's resident set the pages of its binary
// and shared libraries that it has read: code and read-only data. Most
// served start-up once: the init of every package linked in (net/http
// and crypto/tls, for the proxy) and the first build's path. They stay
// in the kernel's page cache, shared and reclaimable, and an idle golive
// maps back the few it touches again on use.
//
// MADV_DONTNEED rather than MADV_PAGEOUT, which skips pages another
// process maps, and the keeper (golive's own binary) maps most of them.
// The keeper calls it too: it is golive's binary, run once per program.
// Only a mapping golive cannot write and that holds no private copy of a
// page (Anonymous: 0 kB: no relocations written before it was made
// read-only) is asked, so a page that comes back is the file's, as
// before.
func DropCode() {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	var start, end uint64
	var candidate bool
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 6 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			start, end, candidate = readOnlyFileMapping(f)
		case candidate && len(f) >= 2 && f[0] == "Anonymous:":
			if f[1] == "0" {
				unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
			}
			candidate = false
		}
	}
}

// readOnlyFileMapping reads a maps line (start-end perms offset dev
// inode path) and reports whether it maps a file read-only.
func readOnlyFileMapping(f []string) (start, end uint64, ok bool) {
	if !strings.HasPrefix(f[5], "/") || len(f[1]) < 4 || f[1][1] == 'w' || f[1][3] != 'p' {
		return 0, 0, false
	}
	from, to, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseUint(from, 16, 64)
	end, err2 := strconv.ParseUint(to, 16, 64)
	return start, end, err1 == nil && err2 == nil && end > start
}
