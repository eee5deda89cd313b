// Package goenv reads the go command's settings as the go command does,
// for golive's own questions about a build: which files a build compiles
// (BuildContext), and what GOFLAGS, GOOS and the like say. Discovery of
// the main package, the replay of a build and the build itself all ask
// here, so that none of them judges a file differently from the others.
package goenv

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Value returns key's value in env, the last one winning, as in os/exec.
func Value(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// Get returns the go command's setting key: the environment's value, or
// else the one `go env -w` wrote into the go env file.
func Get(env []string, key string) string {
	for _, kv := range slices.Backward(env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	data, err := os.ReadFile(File(env))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+"="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			return v
		}
	}
	return ""
}

// Flags returns the GOFLAGS the go command applies on top of its command
// line.
func Flags(env []string) []string { return strings.Fields(Get(env, "GOFLAGS")) }

// File is the file `go env -w` writes, which the go command reads.
func File(env []string) string {
	if v := Value(env, "GOENV"); v != "" {
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// BuildContext is go/build's view of which files go build compiles in env
// (GOOS, GOARCH, CGO_ENABLED, and -tags in GOFLAGS) with the build tags
// tags and the go build flags flags (their -tags).
func BuildContext(env, tags, flags []string) build.Context {
	ctx := build.Default
	if v := Get(env, "GOOS"); v != "" {
		ctx.GOOS = v
	}
	if v := Get(env, "GOARCH"); v != "" {
		ctx.GOARCH = v
	}
	if v := Get(env, "CGO_ENABLED"); v != "" {
		ctx.CgoEnabled = v == "1"
	}
	all := slices.Clone(tags)
	for _, fl := range [][]string{Flags(env), flags} {
		for i, f := range fl {
			switch {
			case strings.HasPrefix(f, "-tags=") || strings.HasPrefix(f, "--tags="):
				all = append(all, strings.Split(f[strings.Index(f, "=")+1:], ",")...)
			case (f == "-tags" || f == "--tags") && i+1 < len(fl):
				all = append(all, strings.Split(fl[i+1], ",")...)
			}
		}
	}
	ctx.BuildTags = append(slices.Clone(ctx.BuildTags), all...)
	return ctx
}
