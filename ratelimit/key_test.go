package ratelimit

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

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
