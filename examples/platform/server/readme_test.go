package server_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADME checks the README's route and error-code tables against the
// code, so the documentation cannot drift.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	readme := string(b)

	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z]+ /[^`]+)` \\| ([a-z]+) \\|[^|]+\\| ([^|]+) \\|$").FindAllStringSubmatch(readme, -1) {
		documented[m[1]+" "+m[2]+" "+strings.TrimSpace(m[3])] = true
	}
	routes := server.Routes()
	assert.Len(t, documented, len(routes))
	for _, r := range routes {
		scope := r.Scope
		if scope == "" {
			scope = "—"
		} else {
			scope = "`" + scope + "`"
		}
		assert.True(t, documented[r.Method+" "+r.Path+" "+r.Surface+" "+scope], "README route row for %s %s", r.Method, r.Path)
	}

	codes := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (-\d+) \| ([0-9, ]+) \|`).FindAllStringSubmatch(readme, -1) {
		n, _ := strconv.Atoi(m[1])
		codes[n] = m[2]
	}
	assert.Equal(t, map[int]string{
		server.CodeUnauthorized:     "401",
		server.CodeForbidden:        "403",
		server.CodeValidation:       "400, 413, 415",
		server.CodeNotFound:         "404",
		server.CodeMethodNotAllowed: "405",
		server.CodeRateLimited:      "429",
		server.CodeInternal:         "500",
		server.CodeUnavailable:      "503",
	}, codes)
	for _, code := range server.Codes() {
		assert.Contains(t, codes, code, "every code Style renders is documented")
	}
}
