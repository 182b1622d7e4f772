package ratelimit

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

func TestAddrKey(t *testing.T) {
	tests := []struct {
		name, addr, want string
	}{
		{"ipv4", "192.0.2.7", "192.0.2.7"},
		{"ipv4-mapped", "::ffff:192.0.2.7", "192.0.2.7"},
		{"ipv6 grouped by /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"same /64", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"other /64", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"zone dropped", "fe80::1%eth0", "fe80::/64"},
		{"loopback", "::1", "::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AddrKey(netip.MustParseAddr(tt.addr)))
		})
	}
	assert.Equal(t, "invalid", AddrKey(netip.Addr{}))
}

func TestKeyFuncs(t *testing.T) {
	full := gatehouse.Principal{Subject: "alice", Tenant: "acme", TokenID: "tok-9"}
	subjectOnly := gatehouse.Principal{Subject: "alice"}
	jwt := gatehouse.Principal{Subject: "alice", Tenant: "acme", TokenID: "jti-1", Method: gatehouse.MethodJWT}
	apiKey := gatehouse.Principal{Subject: "alice", Tenant: "acme", TokenID: "key-7", Method: gatehouse.MethodAPIKey}
	opaque := gatehouse.Principal{Subject: "alice", Tenant: "acme", TokenID: "op-3", Method: gatehouse.MethodOpaque}
	tests := []struct {
		name   string
		fn     KeyFunc
		p      *gatehouse.Principal
		remote string
		want   string
	}{
		{"ip", ByIP, &full, "192.0.2.1:80", "ip:192.0.2.1"},
		{"ip v6", ByIP, nil, "[2001:db8::5]:443", "ip:2001:db8::/64"},
		{"ip unparseable", ByIP, nil, "pipe", "ip:invalid"},
		{"principal uses token", ByPrincipal, &full, "192.0.2.1:80", "tok:tok-9"},
		{"principal falls back to subject", ByPrincipal, &subjectOnly, "192.0.2.1:80", "sub:alice"},
		{"principal falls back to ip", ByPrincipal, nil, "192.0.2.1:80", "ip:192.0.2.1"},
		{"jwt by tenant and subject, not jti", ByPrincipal, &jwt, "192.0.2.1:80", "jwt:acme/alice"},
		{"jwt without tenant", ByPrincipal, &gatehouse.Principal{Subject: "alice", TokenID: "j", Method: gatehouse.MethodJWT}, "192.0.2.1:80", "jwt:/alice"},
		{"jwt tenant escaped", ByPrincipal, &gatehouse.Principal{Subject: "b/c", Tenant: "a/%", Method: gatehouse.MethodJWT}, "192.0.2.1:80", "jwt:a%2F%25/b/c"},
		{"jwt without subject by ip", ByPrincipal, &gatehouse.Principal{TokenID: "j", Tenant: "acme", Method: gatehouse.MethodJWT}, "192.0.2.1:80", "ip:192.0.2.1"},
		{"api key by key id", ByPrincipal, &apiKey, "192.0.2.1:80", "tok:key-7"},
		{"opaque token by token id", ByPrincipal, &opaque, "192.0.2.1:80", "tok:op-3"},
		{"subject", BySubject, &full, "192.0.2.1:80", "sub:alice"},
		{"subject falls back to ip", BySubject, &gatehouse.Principal{TokenID: "x"}, "192.0.2.1:80", "ip:192.0.2.1"},
		{"tenant", ByTenant, &full, "192.0.2.1:80", "ten:acme"},
		{"tenant falls back to ip", ByTenant, &subjectOnly, "192.0.2.1:80", "ip:192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.fn(request(tt.remote, tt.p)))
		})
	}
}

func TestByIPUsesResolvedAddress(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1234" // the proxy
	r = r.WithContext(gatehouse.WithClientAddr(context.Background(), netip.MustParseAddr("198.51.100.4")))
	assert.Equal(t, "ip:198.51.100.4", ByIP(r))
}

func FuzzAddrKey(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1})
	f.Add(netip.MustParseAddr("2001:db8::1").AsSlice())
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		k := AddrKey(a)
		if a.Unmap().Is4() {
			assert.Equal(t, a.Unmap().String(), k)
			return
		}
		p, err := netip.ParsePrefix(k)
		if err != nil || p.Bits() != 64 || !p.Contains(a) {
			t.Fatalf("AddrKey(%v) = %q", a, k)
		}
	})
}

// TestByPrincipalJWTSurvivesRefresh guards against keying JWTs by jti: a refreshed token (new jti, same tenant and subject) draws from
// the same bucket, through the default key and an explicit ByPrincipal.
func TestByPrincipalJWTSurvivesRefresh(t *testing.T) {
	for name, key := range map[string]KeyFunc{"default": nil, "explicit": ByPrincipal} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			l := must(New(Config{Limit: PerMinute(3), Key: key, Now: clk.Now}))
			for i := range 4 {
				p := gatehouse.Principal{Subject: "alice", Tenant: "acme", TokenID: "jti-" + strconv.Itoa(i), Method: gatehouse.MethodJWT}
				_, err := l.Check(request("192.0.2.1:1", &p))
				if i < 3 {
					require.NoError(t, err, "token %d", i)
				} else {
					assert.ErrorIs(t, err, ErrLimited, "a fresh jti does not reset the limit")
				}
			}
			other := gatehouse.Principal{Subject: "alice", Tenant: "globex", TokenID: "jti-x", Method: gatehouse.MethodJWT}
			_, err := l.Check(request("192.0.2.1:1", &other))
			assert.NoError(t, err, "the same subject in another tenant is another bucket")
		})
	}
}

// FuzzPrincipalKey checks that a JWT's key is unambiguous: it decodes back
// to the tenant and subject it was made from.
func FuzzPrincipalKey(f *testing.F) {
	f.Add("acme", "alice")
	f.Add("a/b", "c")
	f.Add("a", "b/c")
	f.Add("%2F", "")
	f.Fuzz(func(t *testing.T, tenant, subject string) {
		if subject == "" {
			return
		}
		r := request("192.0.2.1:1", &gatehouse.Principal{Tenant: tenant, Subject: subject, Method: gatehouse.MethodJWT})
		k := ByPrincipal(r)
		rest, ok := strings.CutPrefix(k, "jwt:")
		require.True(t, ok, k)
		esc, sub, ok := strings.Cut(rest, "/")
		require.True(t, ok, k)
		ten, err := url.PathUnescape(esc)
		require.NoError(t, err)
		assert.Equal(t, tenant, ten)
		assert.Equal(t, subject, sub)
		assert.Equal(t, k, principalKey(r).String())
		assert.Equal(t, k, string(principalKey(r).appendTo(nil)))
	})
}
