package embeds

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Files lists the files that the main package pkg and the packages of
// the main module it imports embed with //go:embed, as slash paths
// relative to root. A pattern that names a directory is listed too, with
// a trailing "/", so that a file added to it later also counts. It asks
// `go list`, which resolves the patterns exactly as the compiler will;
// callers run it off the save-to-restart path.
func Files(ctx context.Context, root, pkg string, tags []string, env []string) ([]string, error) {
	args := []string{"list", "-deps", "-e", "-f",
		`{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .EmbedFiles}}{{$d}}{{"\x00"}}{{.}}{{"\n"}}{{end}}{{range .EmbedPatterns}}{{$d}}{{"\x00"}}{{.}}{{"\x00"}}p{{"\n"}}{{end}}{{end}}{{end}}`}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list embedded files: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var files []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		dir, file, ok := strings.Cut(sc.Text(), "\x00")
		if !ok {
			continue
		}
		file, isPattern := strings.CutSuffix(file, "\x00p")
		path := filepath.Join(dir, strings.TrimPrefix(file, "all:"))
		if isPattern {
			if st, err := os.Stat(path); err != nil || !st.IsDir() {
				continue // a file pattern: EmbedFiles has its files
			}
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // embedded from outside the watched tree
		}
		rel = filepath.ToSlash(rel)
		if isPattern {
			rel += "/"
		}
		files = append(files, rel)
	}
	return files, nil
}
