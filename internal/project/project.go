// Package project answers questions about the user's Go project that
// golive needs before it can build: where the module is, and which
// package is the program.
package project

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ModuleRoot returns the directory of the nearest go.mod at or above dir.
func ModuleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or any parent; run golive inside a Go module (go mod init)", abs)
		}
	}
}

// ModulePath returns the path of go.mod's module directive.
func ModulePath(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "//"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if rest, ok := strings.CutPrefix(l, "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '"') {
			rest = strings.TrimSpace(rest)
			if p, err := strconv.Unquote(rest); err == nil {
				return p
			}
			return rest
		}
	}
	return ""
}

// ImportPath returns the import path of the package in dir (absolute),
// from the module of the nearest go.mod at or above it.
func ImportPath(dir string) (string, error) {
	root, err := ModuleRoot(dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	mod := ModulePath(data)
	if mod == "" {
		return "", fmt.Errorf("no module line in %s", filepath.Join(root, "go.mod"))
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return "", err
	}
	return path.Join(mod, filepath.ToSlash(rel)), nil
}

// FindMain returns the main package to build, as a "./dir" path relative to
// root: "." when root itself is package main, otherwise the single
// directory below root that is. ctx judges build constraints, as the
// build will (builder.Context). skip lists directories (relative to root)
// that are never candidates, such as plugin packages.
func FindMain(root string, ctx build.Context, skip []string) (string, error) {
	skipped := make(map[string]bool, len(skip))
	for _, d := range skip { // "./greeter/", "greeter" and "./greeter" are one directory
		skipped[path.Clean(filepath.ToSlash(d))] = true
	}
	if isMain(ctx, root) {
		return ".", nil
	}
	var found []string
	err := filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // deleted mid-walk
				return nil
			}
			return err
		}
		if !d.IsDir() || name == root {
			return nil
		}
		rel, _ := filepath.Rel(root, name) // name is below root: no error
		rel = filepath.ToSlash(rel)
		if skipDir(name, d.Name()) || skipped[rel] {
			return filepath.SkipDir
		}
		if isMain(ctx, name) {
			found = append(found, "./"+rel)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("look for the main package: %w", err)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no main package in %s; set build.package in %s or pass -p ./path/to/cmd", root, ".reload.toml")
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%d main packages (%s); pick one with -p %s or build.package in .reload.toml, or run several at once: -p %s -p %s, or [[service]] blocks",
			len(found), strings.Join(found, ", "), found[0], found[0], found[1])
	}
}

// skipDir reports directories that can hold no candidate: hidden ones,
// testdata, vendor, node_modules, and nested modules (their own go.mod).
func skipDir(path, name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	switch name {
	case "testdata", "vendor", "node_modules":
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

// isMain reports whether dir holds a package main that builds under ctx:
// go/build applies the build constraints, so a //go:build ignore generator
// does not count.
func isMain(ctx build.Context, dir string) bool {
	pkg, err := ctx.ImportDir(dir, 0)
	if err != nil {
		var multi *build.MultiplePackageError
		return errors.As(err, &multi) && slices.Contains(multi.Packages, "main")
	}
	return pkg.Name == "main"
}
