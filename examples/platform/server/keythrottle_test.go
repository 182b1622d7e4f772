package server_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// from sends an API-key request whose connection comes from the loopback
// address ip (127.0.0.1, 127.0.0.2, …).
func (p *platform) from(t *testing.T, ip, path, key string) response {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("POST", p.url+path, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ApiKey", key)
	res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// TestAPIKeyThrottle: over loopback, KeyAttempts refused keys from one
// address make its next API-key requests 429 -29 with Retry-After — a
// valid key's too, until the 15-minute window ends, as
// ratelimit.FailureThrottle documents — on both key surfaces, while
// another address is unaffected. Valid keys never count.
func TestAPIKeyThrottle(t *testing.T) {
	p := newPlatform(t, func(c *server.Config) { c.KeyAttempts = 3 })
	const list = "/Supplier/Products/List"
	wrong := "ak_live_0000000000000000000000000000000000"

	for range 10 {
		require.Equal(t, 200, p.from(t, "127.0.0.1", list, seedKey).status, "valid keys do not count")
	}
	for range 3 {
		assertError(t, p.from(t, "127.0.0.1", list, wrong), 401, server.CodeUnauthorized)
	}
	for _, tc := range []struct{ name, path, key string }{
		{"a wrong key", list, wrong},
		{"a valid key", list, seedKey},
		{"the other surface", "/Payment/Charges/Create", paymentKey},
	} {
		t.Run("429 for "+tc.name, func(t *testing.T) {
			res := p.from(t, "127.0.0.1", tc.path, tc.key)
			assertError(t, res, http.StatusTooManyRequests, server.CodeRateLimited)
			assert.Equal(t, "900", res.header.Get("Retry-After"))
		})
	}
	assert.Contains(t, p.audit.dump(), "Reason:throttled")
	assert.NotContains(t, p.audit.dump(), wrong)

	t.Run("another address is unaffected", func(t *testing.T) {
		assert.Equal(t, 200, p.from(t, "127.0.0.2", list, seedKey).status)
		assertError(t, p.from(t, "127.0.0.2", list, wrong), 401, server.CodeUnauthorized)
	})

	p.clock.Add(15*time.Minute - time.Second)
	res := p.from(t, "127.0.0.1", list, seedKey)
	assertError(t, res, http.StatusTooManyRequests, server.CodeRateLimited)
	assert.Equal(t, "1", res.header.Get("Retry-After"))
	p.clock.Add(time.Second)
	assert.Equal(t, 200, p.from(t, "127.0.0.1", list, seedKey).status, "the window ended")
}
