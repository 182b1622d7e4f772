package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

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
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, env(map[string]string{
			"JWT_SECRET": "main-test-secret-0123456789abcdefghij", "PAYMENT_API_KEY": "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a",
		}), &out, &errOut)
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil && strings.Contains(out.String(), "/Supplier/Products/List")
	}, 10*time.Second, 10*time.Millisecond)

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

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
}
