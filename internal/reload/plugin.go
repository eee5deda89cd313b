// Package reload is golive's side of in-process reload: it builds a
// plugin package's tree as a Go plugin, hands the build to the running
// program (whose hot library loads it and swaps its symbols in), and
// decides which batches of changes can be applied that way.
//
// Every build attempt compiles a copy of the tree under a fresh import
// path, "<parent>/_golive/<n>/<name>", made of overlay files in golive's
// work directory: nothing is written into the user's tree. The fresh path
// is what lets every version load into one process: Go refuses a second
// plugin with a path it has loaded ("plugin already loaded"), a package
// path it has loaded with other contents ("plugin was built with a
// different version of package"), and keeps the paths of a failed load
// claimed. docs/plugins.md says more.
//
// The loop reaches it through runner.Reloader (reloader.go); plugin
// builds take the program's build flags and diagnostics from package
// builder, so a plugin and the program it loads into are built alike.
package reload

import (
	"path/filepath"
	"strings"
)

// Covers reports whether a batch can be applied in process: whether every
// changed path lies inside one of the plugin directories. Both lists are
// relative to the same directory (or both absolute); changed paths may be
// slash-separated, as the watcher reports them. An empty batch is not
// covered.
func Covers(pluginDirs []string, changed []string) bool {
	if len(changed) == 0 || len(pluginDirs) == 0 {
		return false
	}
	for _, c := range changed {
		if treeOf(pluginDirs, c) < 0 {
			return false
		}
	}
	return true
}

// Touched returns the plugin directories that changed paths lie in, in
// the order of pluginDirs: the trees to rebuild for a covered batch.
func Touched(pluginDirs []string, changed []string) []string {
	hit := make([]bool, len(pluginDirs))
	for _, c := range changed {
		if i := treeOf(pluginDirs, c); i >= 0 {
			hit[i] = true
		}
	}
	var dirs []string
	for i, d := range pluginDirs {
		if hit[i] {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// treeOf returns the index of the plugin directory that holds path, the
// deepest one if they nest, or -1. A go.mod or go.sum is never part of a
// tree: it changes what every package builds against.
func treeOf(pluginDirs []string, path string) int {
	p := clean(path)
	if b := filepath.Base(p); b == "go.mod" || b == "go.sum" || b == "go.work" || b == "go.work.sum" {
		return -1
	}
	best, bestLen := -1, -1
	for i, d := range pluginDirs {
		d := clean(d)
		if d == "." || d == ".." || strings.HasPrefix(d, ".."+string(filepath.Separator)) {
			continue // the whole module, or outside it: never a plugin tree
		}
		if (p == d || strings.HasPrefix(p, d+string(filepath.Separator))) && len(d) > bestLen {
			best, bestLen = i, len(d)
		}
	}
	return best
}

func clean(p string) string { return filepath.Clean(filepath.FromSlash(p)) }
