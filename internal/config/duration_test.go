package config

import (
	"flag"
	"testing"
	"time"
)

var _ flag.Value = new(Duration) // cmd/golive binds flags to Duration fields

func TestDurationText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "150ms", want: 150 * time.Millisecond},
		{in: "1m30s", want: 90 * time.Second},
		{in: "-1s", want: -time.Second}, // Validate refuses it, naming the key
		{in: "5 sec", wantErr: `bad duration "5 sec" (want e.g. "5s", "150ms")`},
		{in: "5", wantErr: `bad duration "5" (want e.g. "5s", "150ms")`},
		{in: "", wantErr: `bad duration "" (want e.g. "5s", "150ms")`},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		switch {
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("UnmarshalText(%q) error = %v, want %s", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || d.Std() != tt.want):
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.in, d, err, tt.want)
		}
	}
}

func TestDurationMarshal(t *testing.T) {
	t.Parallel()
	for d, want := range map[Duration]string{0: "0s", Duration(20 * time.Millisecond): "20ms", Duration(90 * time.Second): "1m30s"} {
		b, err := d.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("MarshalText(%d) = %q, %v; want %q", d, b, err, want)
		}
	}
}
