// Package golive holds what the golive command ships as data: the
// documented example configuration that `golive init` writes.
package golive

import _ "embed"

// ExampleConfig is .reload.toml.example: every key with its default.
//
//go:embed .reload.toml.example
var ExampleConfig []byte
