package config

import (
	"fmt"
	"time"
)

// durationHint ends every duration error: the usual mistake is a unit
// written as a word ("5 sec") or a bare number, and an example fixes both.
const durationHint = `(want e.g. "5s", "150ms")`

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String returns d as a Go duration string ("150ms", "0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as a Go duration string, so the TOML written by
// Encode reads "5s" rather than 5000000000.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration string; "0" is accepted as well.
// Negative values parse here and are refused by Validate, so a flag and a
// file get the same message.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Set makes *Duration a flag.Value, so cmd/golive can bind a flag straight
// to a Config field.
func (d *Duration) Set(s string) error { return d.UnmarshalText([]byte(s)) }

func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q %s", s, durationHint)
	}
	return Duration(v), nil
}
