package ipallow_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/ipallow"
)

// TestResolverMarksTrustedPeer: the resolver records a trusted proxy peer
// for the headers it sets, and only such a peer.
func TestResolverMarksTrustedPeer(t *testing.T) {
	res, err := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	var trusted bool
	h := res.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { trusted = gatehouse.TrustedPeer(r.Context()) }))
	for peer, want := range map[string]bool{"10.1.2.3:4000": true, "192.0.2.7:4000": false} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", "198.51.100.9")
		h.ServeHTTP(httptest.NewRecorder(), r)
		assert.Equal(t, want, trusted, peer)
	}
	assert.False(t, gatehouse.TrustedPeer(httptest.NewRequest(http.MethodGet, "/", nil).Context()), "no resolver, no trust")
}
