package main

import (
	"context"
	"flag"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// tryLine is a curl line of the banner: its header, URL and the status
// its comment promises.
var tryLine = regexp.MustCompile(`(?m)^  curl -i (?:-H '([^']*)' )?(http://\S+)\s+# (\d{3})$`)

// TestCommand runs the command on each router as a user would: it reads
// the banner, runs each of its curl lines (as HTTP requests) and checks the
// status each promises, gets a fresh token with -token while the server
// runs, and finds -token refused once the server has stopped.
func TestCommand(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the key file of -token goes there
	for _, router := range routerNames() {
		t.Run(router, func(t *testing.T) {
			cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
				return run(ctx, []string{"-router", router, "-addr", "127.0.0.1:0"}, stdout, stderr)
			})
			banner := cmd.Stdout.String()
			assert.Contains(t, banner, "the orders API on "+router)
			addr := strings.TrimPrefix(cmd.Base, "http://")
			assert.Contains(t, banner, "go run ./examples/routers -token clerk -addr "+addr)

			lines := tryLine.FindAllStringSubmatch(banner, -1)
			require.Len(t, lines, 4, banner)
			for _, l := range lines {
				want, _ := strconv.Atoi(l[3])
				var h []string
				if l[1] != "" {
					name, value, _ := strings.Cut(l[1], ": ")
					h = []string{name, value}
				}
				r := cmdtest.Do(t, nil, "GET", l[2], header(h...), "")
				assert.Equal(t, want, r.Status, "%s: %s", l[0], r.Body)
				assert.True(t, strings.HasPrefix(l[2], cmd.Base), "the banner's URLs are the server's")
			}

			var out, errOut strings.Builder
			require.NoError(t, run(context.Background(), []string{"-token", "clerk", "-addr", addr}, &out, &errOut))
			token := strings.TrimSpace(out.String())
			r := cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/orders", header("Authorization", "Bearer "+token), "")
			assert.Equal(t, 200, r.Status, r.Body)
			out.Reset()
			require.NoError(t, run(context.Background(), []string{"-token", "reader", "-addr", addr}, &out, &errOut))
			r = cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/orders", header("Authorization", "Bearer "+strings.TrimSpace(out.String())), "")
			assert.Equal(t, 403, r.Status, r.Body)

			path := keyPath(addr)
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "only its user reads the key")

			cmd.Stop(t)
			_, err = os.Stat(path)
			assert.ErrorIs(t, err, os.ErrNotExist, "the key file is removed at exit")
			err = run(context.Background(), []string{"-token", "clerk", "-addr", addr}, &out, &errOut)
			assert.ErrorContains(t, err, "no routers server runs on "+addr)
		})
	}
}

func header(kv ...string) map[string][]string {
	h := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = []string{kv[i+1]}
	}
	return h
}

// TestCommandFlags: bad flags and arguments are refused with a clear
// error before anything listens; -help prints the usage.
func TestCommandFlags(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"-router", "fiber"}, &out, &errOut)
	assert.EqualError(t, err, `unknown -router "fiber": one of chi, echo, gin, std`)

	err = run(context.Background(), []string{"-router", "gin", "extra"}, &out, &errOut)
	assert.EqualError(t, err, `unexpected argument "extra" (see -help)`)

	err = run(context.Background(), []string{"-token", "root", "-addr", "127.0.0.1:1"}, &out, &errOut)
	assert.ErrorContains(t, err, "no routers server runs on 127.0.0.1:1")
	require.NoError(t, os.WriteFile(keyPath("127.0.0.1:1"), newKey(), 0o600))
	err = run(context.Background(), []string{"-token", "root", "-addr", "127.0.0.1:1"}, &out, &errOut)
	assert.EqualError(t, err, `no test caller "root" (reader or clerk)`)
	assert.Empty(t, out.String())

	err = run(context.Background(), []string{"-help"}, &out, &errOut)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, usage, errOut.String())
}
