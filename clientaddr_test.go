package gatehouse_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
)

func TestRemoteAddr(t *testing.T) {
	cases := []struct{ remote, want string }{
		{"127.0.0.2:5555", "127.0.0.2"},
		{"[::1]:80", "::1"},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3"},
		{"[fe80::1%eth0]:80", "fe80::1"},
		{"192.0.2.7", "192.0.2.7"},
		{"garbage", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.remote, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			got := gatehouse.RemoteAddr(r)
			if tc.want == "" {
				assert.False(t, got.IsValid())
				return
			}
			assert.Equal(t, netip.MustParseAddr(tc.want), got)
			assert.Equal(t, tc.remote, r.RemoteAddr, "RemoteAddr is never mutated")
		})
	}
}

func TestClientAddrPrefersResolved(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1234"
	assert.Equal(t, netip.MustParseAddr("10.0.0.1"), gatehouse.ClientAddr(r))

	resolved := netip.MustParseAddr("203.0.113.9")
	r = r.WithContext(gatehouse.WithClientAddr(r.Context(), resolved))
	got, ok := gatehouse.ClientAddrFrom(r.Context())
	assert.True(t, ok)
	assert.Equal(t, resolved, got)
	assert.Equal(t, resolved, gatehouse.ClientAddr(r))
}

// TestWithClientAddrNormalizes checks that a stored address comes back as
// ClientAddr promises, whoever stored it: unmapped and without zone.
func TestWithClientAddrNormalizes(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	for in, want := range map[string]string{
		"::ffff:203.0.113.9": "203.0.113.9",
		"fe80::1%eth0":       "fe80::1",
		"2001:db8::1":        "2001:db8::1",
	} {
		rr := r.WithContext(gatehouse.WithClientAddr(r.Context(), netip.MustParseAddr(in)))
		assert.Equal(t, netip.MustParseAddr(want), gatehouse.ClientAddr(rr), in)
	}
}
