package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary documents to the loader. Whatever the input,
// parsing must not panic, an error must be one line naming the file, and a
// document that loads must survive Encode and load again unchanged.
// Plain `go test` runs only the seeds.
func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	f.Add([]byte(fullDoc))
	f.Add([]byte("watch = { include = [\"a\"], debounse = \"1s\" }\n"))
	f.Add([]byte("[build]\nflags = [\n  \"-race\",\n  2,\n]\n"))
	f.Add([]byte("[run.env]\n\"A=B\" = \"1\"\n[[log]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse("f.toml", data)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "f.toml") {
				t.Fatalf("error not one line naming the file: %q", msg)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("loaded config fails Validate: %v", err)
		}
		b, err := Encode(c)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		again, err := parse("encoded", b)
		if err != nil {
			t.Fatalf("encoded config does not load: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", again, c)
		}
	})
}
