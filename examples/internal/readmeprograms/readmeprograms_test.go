package readmeprograms

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/readmetest"
)

// A program is a ```go block of the README that starts with
// "package main".
type program struct {
	line   int    // where its block opens
	source string // the block's text
	copyOf string // the file it must equal (from "package main" on), when marked
}

// marker names the example file the block right below it is a copy of.
var marker = regexp.MustCompile(`^<!-- the same as (\S+) -->$`)

// programs reads the README's programs.
func programs(t *testing.T, readme string) []program {
	src, err := os.ReadFile(readme)
	require.NoError(t, err)
	fences, err := readmetest.Fences(readme, src)
	require.NoError(t, err)
	var out []program
	for _, f := range fences {
		source := strings.Join(f.Body, "\n") + "\n"
		if f.Info != "go" || !strings.HasPrefix(source, "package main\n") {
			continue
		}
		p := program{line: f.Line, source: source}
		if m := marker.FindStringSubmatch(f.Before); m != nil {
			p.copyOf = m[1]
		}
		out = append(out, p)
	}
	return out
}

// TestREADMEPrograms builds every program of every README in the
// repository, as a user who copies one into a main.go would, and checks
// that each marked copy of an example's source is the same as the source.
func TestREADMEPrograms(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	var readmes []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.Name() == "README.md":
			readmes = append(readmes, path)
		}
		return nil
	}))
	total := 0
	for _, readme := range readmes {
		rel, err := filepath.Rel(root, readme)
		require.NoError(t, err)
		progs := programs(t, readme)
		total += len(progs)
		if rel == "README.md" {
			require.GreaterOrEqual(t, len(progs), 4, "the README's start-here programs and the quick start")
		}
		for _, p := range progs {
			t.Run(fmt.Sprintf("%s:%d", rel, p.line), func(t *testing.T) {
				if p.copyOf != "" {
					src, err := os.ReadFile(filepath.Join(filepath.Dir(readme), p.copyOf))
					if os.IsNotExist(err) {
						src, err = os.ReadFile(filepath.Join(root, p.copyOf))
					}
					require.NoError(t, err)
					i := strings.Index(string(src), "package main\n")
					require.GreaterOrEqual(t, i, 0, "%s has no package clause", p.copyOf)
					assert.Equal(t, string(src[i:]), p.source, "%s line %d is a copy of %s: paste the file again", rel, p.line, p.copyOf)
					return
				}
				build(t, rel, moduleDir(t, filepath.Dir(readme)), p)
			})
		}
	}
	t.Logf("%d programs in %d READMEs", total, len(readmes))
}

// moduleDir returns the directory of the module dir belongs to.
func moduleDir(t *testing.T, dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		require.NotEqual(t, d, filepath.Dir(d), "%s is in no module", dir)
	}
}

// build compiles p as the main package of a directory of module mod that
// exists only in an overlay, so the program builds against the
// repository's packages and nothing is written into the tree.
func build(t *testing.T, readme, mod string, p program) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(src, []byte(p.source), 0o600))
	virtual := filepath.Join(mod, "internal", "readmeprogram", "main.go")
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {virtual: src}})
	require.NoError(t, err)
	overlayFile := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(overlayFile, overlay, 0o600))
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", os.DevNull, "./internal/readmeprogram")
	cmd.Dir = mod
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s line %d does not build:\n%s", readme, p.line, out)
}
