package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/internal/readmetest"
)

var (
	// exportLine is the banner's export line.
	exportLine = regexp.MustCompile(`(?m)^  export (.*)$`)
	// curlLine is the command of a banner's curl line, its comment cut:
	// the variable whose token it sends, if any, and its URL.
	curlLine = regexp.MustCompile(`^curl -i (?:-H "Authorization: Bearer \$([A-Z_]+)" )?(http://\S+)$`)
)

// TestCommand runs the command on each router and follows its banner as a
// reader does: it pastes the export line, then sends each curl line's
// request with the variables' tokens and checks the status the line's `#
// → NNN` comment states, read by the README test's own parser. The tokens
// are the test callers' and valid for 1h, and nothing is written to disk.
func TestCommand(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, router := range routerNames() {
		t.Run(router, func(t *testing.T) {
			cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
				return run(ctx, []string{"-router", router, "-addr", "127.0.0.1:0"}, stdout, stderr)
			})
			banner := cmd.Stdout.String()
			assert.Contains(t, banner, "routers: the orders API on "+router+", listening on "+cmd.Base+"\n")

			exports := exportLine.FindAllStringSubmatch(banner, -1)
			require.Len(t, exports, 1, banner)
			vars := map[string]string{}
			for _, kv := range strings.Fields(exports[0][1]) {
				name, value, ok := strings.Cut(kv, "=")
				require.True(t, ok, kv)
				vars[name] = value
			}
			require.Len(t, vars, len(users), exports[0][0])
			for _, u := range users {
				claims := jwt.MapClaims{}
				_, _, err := jwt.NewParser().ParseUnverified(vars[u.variable], claims)
				require.NoError(t, err, u.variable)
				assert.Equal(t, u.subject, claims["sub"], u.variable)
				assert.Equal(t, u.scope, claims["scope"], u.variable)
				exp, iat := claims["exp"].(float64), claims["iat"].(float64)
				assert.Equal(t, tokenTTL.Seconds(), exp-iat, "%s is valid for 1h", u.variable)
			}

			tried := 0
			for i, text := range strings.Split(banner, "\n") {
				text = strings.TrimSpace(text)
				if !strings.HasPrefix(text, "curl ") {
					continue
				}
				l, err := readmetest.Analyze(i+1, text)
				require.NoError(t, err, "the README test reads the banner's lines")
				m := curlLine.FindStringSubmatch(l.Code)
				require.NotNil(t, m, text)
				h := http.Header{}
				if m[1] != "" {
					require.Contains(t, vars, m[1], "%s: a variable of the export line", text)
					h.Set("Authorization", "Bearer "+vars[m[1]])
				}
				assert.True(t, strings.HasPrefix(m[2], cmd.Base+"/api/v1/"), "%s: the server's URL", text)
				r := cmdtest.Do(t, nil, "GET", m[2], h, "")
				assert.Equal(t, l.Expect, r.Status, "%s: %s", text, r.Body)
				if m[1] == "READER_TOKEN" && strings.HasSuffix(m[2], "/whoami") {
					// The answer README.md shows.
					assert.JSONEq(t, `{"success":true,"data":{"method":"jwt","scopes":["profile"],"subject":"reader","tenant":""}}`, r.Body)
				}
				tried++
			}
			assert.Equal(t, 4, tried, banner)

			cmd.Stop(t)
			for _, tok := range vars {
				assert.NotContains(t, cmd.Stderr.String(), tok, "tokens are never logged")
			}
		})
	}
	files, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, files, "the command writes nothing to disk, its key least of all")
}

// TestCommandFlags: bad flags and arguments are refused with a clear
// error before anything listens; -help prints the usage.
func TestCommandFlags(t *testing.T) {
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"-router", "fiber"}, &out, &errOut)
	assert.EqualError(t, err, `unknown -router "fiber": one of chi, echo, gin, std`)

	err = run(context.Background(), []string{"-router", "gin", "extra"}, &out, &errOut)
	assert.EqualError(t, err, `unexpected argument "extra" (see -help)`)
	assert.Empty(t, out.String())

	err = run(context.Background(), []string{"-help"}, &out, &errOut)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, usage, errOut.String())
	assert.Empty(t, out.String())
}
