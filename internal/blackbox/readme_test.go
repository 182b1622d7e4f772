package blackbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// Item 14: no Go snippet of any README serves without timeouts
// (http.ListenAndServe, http.Serve, http.ListenAndServeTLS), and every
// http.Server a snippet builds sets the four timeouts and a header cap.
func TestReadmesServeWithTimeouts(t *testing.T) {
	root := filepath.Join("..", "..")
	servers := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".md") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range goBlock.FindAllStringSubmatch(string(b), -1) {
			code := m[1]
			for _, bad := range []string{"http.ListenAndServe(", "http.ListenAndServeTLS(", "http.Serve(", "http.ServeTLS("} {
				assert.NotContains(t, code, bad, "%s: a snippet serves without timeouts", path)
			}
			for _, srv := range regexp.MustCompile(`(?s)&?http\.Server\{(.*?)\n\s*\}`).FindAllStringSubmatch(code, -1) {
				servers++
				for _, f := range []string{"ReadHeaderTimeout:", "ReadTimeout:", "WriteTimeout:", "IdleTimeout:", "MaxHeaderBytes:"} {
					assert.Contains(t, srv[1], f, "%s: an http.Server without %s", path, f)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, servers, "the root README's quick start builds an http.Server")
}
