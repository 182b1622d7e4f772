package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBruteForceAlert runs the README's brute-force demo against the
// command: five wrong passwords (401), the right one (429: throttled),
// six forged tokens (401), and the monitor's alert appears in the log
// exactly once for the address and once overall; twenty more forged
// tokens raise no second one.
func TestBruteForceAlert(t *testing.T) {
	cmd := bbStart(t, nil)
	c := &http.Client{}
	do := func(method, path, body, token string) int {
		t.Helper()
		req, err := http.NewRequest(method, cmd.Base+path, strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := c.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		require.NoError(t, res.Body.Close())
		return res.StatusCode
	}
	alerts := func(scope string) int {
		return strings.Count(cmd.Stderr.String(), `msg="gatehouse monitor alert" kind=unauthorized scope=`+scope+" ")
	}

	for _, p := range []string{"guess1", "guess2", "guess3", "guess4", "guess5"} {
		require.Equal(t, 401, do("POST", "/auth/login", `{"username": "demo", "password": "`+p+`"}`, ""))
	}
	require.Equal(t, 429, do("POST", "/auth/login", `{"username": "demo", "password": "demo-password"}`, ""))
	for i := 1; i <= 5; i++ {
		require.Equal(t, 401, do("GET", "/api/v1/products", "", fmt.Sprintf("forged-%d", i)))
	}
	assert.Zero(t, alerts("127.0.0.1")+alerts("overall"), "10 failed authentications: the threshold, no alert yet")
	require.Equal(t, 401, do("GET", "/api/v1/products", "", "forged-6"))
	// The alert is logged before the 11th answer is written.
	assert.Equal(t, 1, alerts("127.0.0.1"), "the address's alert, once:\n%s", cmd.Stderr)
	assert.Equal(t, 1, alerts("overall"), "the overall alert, once")
	assert.Contains(t, cmd.Stderr.String(), "count=11 threshold=10 window=15m0s")
	assert.Contains(t, cmd.Stderr.String(), "reasons=invalid_token:6,invalid_credentials:5 suppressed=0")

	for i := 1; i <= 20; i++ {
		require.Equal(t, 401, do("GET", "/api/v1/products", "", fmt.Sprintf("forged-%d", i)))
	}
	assert.Equal(t, 1, alerts("127.0.0.1"), "no second alert within the window")
	assert.Equal(t, 1, alerts("overall"))
	assert.Equal(t, 2, strings.Count(cmd.Stderr.String(), "gatehouse monitor alert"))
	for _, secret := range []string{"forged-", "guess", "demo-password"} {
		assert.NotContains(t, cmd.Stderr.String(), secret, "the log never holds a credential")
	}
}
