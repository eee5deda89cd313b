package resident

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rssFile is the process's resident file pages, in kB.
func rssFile(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

func TestDropCodeShrinksAndKeepsWorking(t *testing.T) {
	before := rssFile(t)
	DropCode()
	after := rssFile(t)
	if after >= before {
		t.Fatalf("RssFile %d kB after DropCode, %d kB before: nothing dropped", after, before)
	}
	// The pages that come back are the file's: code and tables still work.
	sum := sha256.Sum256([]byte("golive"))
	if got := hex.EncodeToString(sum[:4]); got != "ce245f20" {
		t.Errorf("sha256 after DropCode: %s", got)
	}
	if !regexp.MustCompile(`^go(live)+$`).MatchString("golivelive") {
		t.Error("regexp after DropCode did not match")
	}
	t.Logf("RssFile %d kB before, %d kB after", before, after)
}

func TestOnlyCleanReadOnlyFileMappings(t *testing.T) {
	smaps := `00400000-00574000 r-xp 00000000 08:01 123 /usr/bin/golive
Rss:                4436 kB
Anonymous:             0 kB
Swap:                  0 kB
Private_Dirty:         0 kB
Private_Hugetlb:       0 kB
7f00-7f10 r--p 00000000 08:01 124 /usr/lib/libc.so.6
Anonymous:             0 kB
Swap:                  4 kB
Private_Dirty:         0 kB
Private_Hugetlb:       0 kB
7f10-7f20 r--p 00000000 08:01 124 /usr/lib/libc.so.6
Anonymous:             8 kB
Swap:                  0 kB
Private_Dirty:         8 kB
Private_Hugetlb:       0 kB
7f20-7f30 rw-p 00000000 08:01 124 /usr/lib/libc.so.6
Anonymous:             0 kB
Swap:                  0 kB
Private_Dirty:         0 kB
Private_Hugetlb:       0 kB
7f30-7f40 r--p 00000000 00:00 0 
Anonymous:             0 kB
Swap:                  0 kB
Private_Dirty:         0 kB
Private_Hugetlb:       0 kB
7f40-7f50 r-xp 00000000 08:01 125 /usr/lib/old.so
Anonymous:             0 kB
7f50-7f60 r-xp 00000000 08:01 126 /tmp/fresh
Anonymous:             0 kB
Swap:                  0 kB
Private_Dirty:        64 kB
Private_Hugetlb:       0 kB
`
	var clean []string
	for _, m := range readMappings([]byte(smaps)) {
		if m.clean() {
			clean = append(clean, strconv.FormatUint(m.start, 16))
		}
	}
	// The binary's code, and a fresh file's whose page cache is not yet
	// written back; not the libc pages in swap or written, the writable
	// mapping, the anonymous one or the one whose fields are missing.
	if strings.Join(clean, " ") != "400000 7f50" {
		t.Fatalf("clean mappings %v, want 400000 and 7f50", clean)
	}
}
