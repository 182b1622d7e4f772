package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-help"}, env(nil), &out, &errOut)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{
		"-addr", "127.0.0.1:8080", "JWT_SECRET", "PLATFORM_TENANT", `"acme"`, "SUPPLIER_API_KEY", "PAYMENT_API_KEY",
		"RESELLER_USERNAME", "RESELLER_PASSWORD", "CUSTOMER_EMAIL", "CUSTOMER_PASSWORD", "TOKEN_TTL",
		"POST  /Token/Generate", "POST  /Storefront/Login", "POST  /Orders/Create", "GET   /Storefront/Account",
		"POST  /Payment/Charges/Create", "POST  /Supplier/Products/List", "-23", "403",
	} {
		assert.Contains(t, errOut.String(), want)
	}
	assert.Empty(t, out.String())
}

func TestBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"unknown flag", []string{"-port", "1"}, nil},
		{"stray argument", []string{"serve"}, nil},
		{"short JWT secret", nil, map[string]string{"JWT_SECRET": "short"}},
		{"bad address", []string{"-addr", "127.0.0.1:99999"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, env(tc.env), io.Discard, io.Discard)
			require.Error(t, err)
		})
	}
}

// TestRun starts the command on a loopback port, follows its printed
// instructions for the Supplier API and shuts it down.
func TestRun(t *testing.T) {
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, env(map[string]string{
			"JWT_SECRET": "main-test-secret-0123456789abcdefghij", "PAYMENT_API_KEY": "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a",
		}), stdout, stderr)
	})
	base, out, errOut := cmd.Base, cmd.Stdout, cmd.Stderr
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "/Supplier/Products/List") },
		10*time.Second, 10*time.Millisecond, "the whole banner")

	printed := out.String()
	assert.NotContains(t, printed, "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a", "keys set in the environment are not printed")
	assert.NotContains(t, printed, "JWT_SECRET is unset")
	assert.Contains(t, printed, "RESELLER_PASSWORD=partner-demo-password")
	key := regexp.MustCompile(`SUPPLIER_API_KEY=(ak_live_\w+)`).FindStringSubmatch(printed)
	require.NotNil(t, key, printed)

	req, err := http.NewRequest("POST", base+"/Supplier/Products/List", nil)
	require.NoError(t, err)
	req.Header.Set("ApiKey", key[1])
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	req.Header.Set("ApiKey", "ak_live_unknown0000000000000000000000")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Contains(t, errOut.String(), "source=apikey", "refusals are audited on stderr")
	assert.NotContains(t, errOut.String(), "ak_live_unknown")
	assert.NotContains(t, errOut.String(), key[1])

	cmd.Stop(t)
}

func TestMain(m *testing.M) {
	// Every test starts the command; at bcrypt's default cost its two
	// password hashes take seconds under the race detector.
	bcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}
