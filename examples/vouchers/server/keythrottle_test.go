package server_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storesFrom sends GET /v2/stores with key in the apikey header from the
// loopback address ip (127.0.0.1, 127.0.0.2, …).
func (a *api) storesFrom(t *testing.T, ip, key string) response {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("GET", a.url+"/v2/stores", nil)
	require.NoError(t, err)
	req.Header.Set("apikey", key)
	res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// TestAPIKeyThrottle: over loopback, ten wrong API keys from one address
// make its next key requests 429 with Retry-After — the valid key's too,
// until the 15-minute window ends, as ratelimit.FailureThrottle documents
// — while another address is unaffected. The valid key never counts.
func TestAPIKeyThrottle(t *testing.T) {
	a := newAPI(t)
	for range 20 {
		require.Equal(t, 200, a.storesFrom(t, "127.0.0.1", apiKey).status, "the valid key does not count")
	}
	for range 10 {
		r := a.storesFrom(t, "127.0.0.1", "WXYZ")
		require.Equal(t, 401, r.status, r.body)
	}
	for _, key := range []string{"WXYZ", apiKey} {
		r := a.storesFrom(t, "127.0.0.1", key)
		require.Equal(t, http.StatusTooManyRequests, r.status, r.body)
		assert.Equal(t, "900", r.header.Get("Retry-After"))
		assert.Equal(t, "TOO_MANY_REQUESTS", nestedCode(t, r))
	}

	assert.Equal(t, 200, a.storesFrom(t, "127.0.0.2", apiKey).status, "another address is unaffected")
	assert.Equal(t, 401, a.storesFrom(t, "127.0.0.2", "WXYZ").status)

	a.clock.Add(15 * time.Minute)
	assert.Equal(t, 200, a.storesFrom(t, "127.0.0.1", apiKey).status, "the window ended")
}
