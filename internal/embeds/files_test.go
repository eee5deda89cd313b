package embeds

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/testkit"
)

func TestFiles(t *testing.T) {
	t.Parallel()
	dir := testkit.WriteModule(t, map[string]string{"go.mod": "module example.com/m\n\ngo 1.22\n",
		"main.go":         "package main\n\nimport (\n\t_ \"embed\"\n\t_ \"example.com/m/web\"\n)\n\n//go:embed banner.txt\nvar banner string\n\nfunc main() {}\n",
		"banner.txt":      "hi",
		"web/web.go":      "package web\n\nimport \"embed\"\n\n//go:embed static\nvar Static embed.FS\n",
		"web/static/a.js": "a", "web/static/b.css": "b"})
	files, err := Files(t.Context(), dir, ".", nil, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if got := strings.Join(files, " "); got != "banner.txt web/static/ web/static/a.js web/static/b.css" {
		t.Fatalf("Files = %q", got)
	}
}
