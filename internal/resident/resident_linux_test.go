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
