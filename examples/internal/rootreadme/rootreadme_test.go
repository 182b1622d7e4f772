package rootreadme

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A program is a ```go block of the README that starts with
// "package main".
type program struct {
	line   int    // where its block opens
	source string // the block's text
	copyOf string // the file it must equal (from "package main" on), when marked
}

// marker names the example file the next program is a copy of.
var marker = regexp.MustCompile(`^<!-- the same as (\S+) -->$`)

// programs reads the README's programs.
func programs(t *testing.T, readme string) []program {
	f, err := os.Open(readme)
	require.NoError(t, err)
	defer f.Close()
	var (
		out     []program
		copyOf  string
		inBlock bool
		goBlock bool
		start   int
		body    strings.Builder
		lineNo  int
		scanner = bufio.NewScanner(f)
	)
	for scanner.Scan() {
		lineNo++
		line := scanner.Text()
		switch {
		case !inBlock && strings.HasPrefix(line, "```"):
			inBlock, goBlock, start = true, line == "```go", lineNo
			body.Reset()
		case inBlock && line == "```":
			inBlock = false
			if goBlock && strings.HasPrefix(body.String(), "package main\n") {
				out = append(out, program{line: start, source: body.String(), copyOf: copyOf})
			}
			copyOf = ""
		case inBlock:
			body.WriteString(line + "\n")
		default:
			if m := marker.FindStringSubmatch(line); m != nil {
				copyOf = m[1]
			} else if strings.TrimSpace(line) != "" {
				copyOf = "" // a marker names the block right below it
			}
		}
	}
	require.NoError(t, scanner.Err())
	require.False(t, inBlock, "an unclosed code block")
	return out
}

// TestREADMEPrograms builds every program of the repository README, as a
// user who copies one into a main.go would, and checks that each marked
// copy of an example's source is the same as the source.
func TestREADMEPrograms(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	progs := programs(t, filepath.Join(root, "README.md"))
	require.GreaterOrEqual(t, len(progs), 4, "the README's start-here programs and the quick start")
	for _, p := range progs {
		t.Run(fmt.Sprintf("line_%d", p.line), func(t *testing.T) {
			if p.copyOf != "" {
				src, err := os.ReadFile(filepath.Join(root, p.copyOf))
				require.NoError(t, err)
				i := strings.Index(string(src), "package main\n")
				require.GreaterOrEqual(t, i, 0, "%s has no package clause", p.copyOf)
				assert.Equal(t, string(src[i:]), p.source, "README.md line %d is a copy of %s: paste the file again", p.line, p.copyOf)
				return
			}
			build(t, p)
		})
	}
}

// build compiles p as the main package of a directory of this module that
// exists only in an overlay, so the program builds against the
// repository's packages and nothing is written into the tree.
func build(t *testing.T, p program) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(src, []byte(p.source), 0o600))
	here, err := os.Getwd()
	require.NoError(t, err)
	virtual := filepath.Join(here, "program", "main.go")
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {virtual: src}})
	require.NoError(t, err)
	overlayFile := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(overlayFile, overlay, 0o600))
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", os.DevNull, "./program")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "README.md line %d does not build:\n%s", p.line, out)
}
