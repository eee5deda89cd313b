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

// DropCode drops from golive's resident set the pages of its binary and
// shared libraries that it has read: code and read-only data. Most
// served start-up once: the init of every package linked in (net/http
// and crypto/tls, for the proxy) and the first build's path. They stay
// in the kernel's page cache, shared and reclaimable, and an idle golive
// maps back the few it touches again on use. The keeper calls it too:
// it is golive's binary, run once per program.
//
// MADV_DONTNEED rather than MADV_PAGEOUT, which skips pages another
// process maps, and the keeper (golive's own binary) maps most of them.
// Only a mapping golive cannot write and that holds no private copy of a
// page, in memory or in swap (relocations written before it was made
// read-only), is asked: a page that comes back is the file's, as before.
func DropCode() {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	for _, m := range readMappings(smaps) {
		if m.clean() {
			unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED)
		}
	}
}

// mapping is one entry of /proc/self/smaps.
type mapping struct {
	start, end uint64
	perms      string
	path       string
	kB         map[string]int // its "Name: N kB" fields
}

// clean reports a read-only private mapping of a file with no page of
// its own: no copy written (Anonymous), none in swap (Swap). Its dirty
// pages (Private_Dirty) may be the file's own, not yet written back
// after a fresh build of golive: the page cache keeps those.
func (m mapping) clean() bool {
	if !strings.HasPrefix(m.path, "/") || len(m.perms) < 4 || m.perms[1] == 'w' || m.perms[3] != 'p' {
		return false
	}
	for _, field := range []string{"Anonymous", "Swap", "Private_Hugetlb"} {
		if n, ok := m.kB[field]; !ok || n != 0 {
			return false
		}
	}
	return true
}

// readMappings parses smaps: a header line (start-end perms offset dev
// inode path) per mapping, then its fields.
func readMappings(smaps []byte) []mapping {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if name, ok := strings.CutSuffix(f[0], ":"); ok {
			if len(out) > 0 && len(f) >= 2 {
				if n, err := strconv.Atoi(f[1]); err == nil {
					out[len(out)-1].kB[name] = n
				}
			}
			continue
		}
		m := mapping{kB: map[string]int{}}
		from, to, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start || len(f) < 2 {
			m.path = "" // not a mapping we ask about; its fields still land here
		} else {
			m.start, m.end, m.perms = start, end, f[1]
			if len(f) >= 6 {
				m.path = f[5]
			}
		}
		out = append(out, m)
	}
	return out
}
