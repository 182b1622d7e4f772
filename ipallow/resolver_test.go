package ipallow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// request returns a GET request from remote carrying the given header
// lines, each "Name: value", in order (repeated names become several lines).
func request(remote string, lines ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
	r.RemoteAddr = remote
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		r.Header.Add(name, strings.TrimPrefix(value, " "))
	}
	return r
}

func TestResolve(t *testing.T) {
	const proxy = "10.0.0.1:443"
	xff := ResolverConfig{TrustedProxies: []string{"10.0.0.0/8", "fd00::/8"}}
	fwd := ResolverConfig{TrustedProxies: []string{"10.0.0.0/8", "fd00::/8"}, Header: "forwarded"}
	single := ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"}

	for _, tc := range []struct {
		name   string
		cfg    ResolverConfig
		remote string
		lines  []string
		want   string // "" means a malformed-chain refusal
	}{
		// No trusted proxies: headers are never read.
		{"peer only", ResolverConfig{}, "203.0.113.9:5555", nil, "203.0.113.9"},
		{"spoofed XFF ignored", ResolverConfig{}, "203.0.113.9:5555", []string{"X-Forwarded-For: 192.0.2.1"}, "203.0.113.9"},
		{"spoofed Forwarded ignored", ResolverConfig{}, "203.0.113.9:5555", []string{"Forwarded: for=192.0.2.1"}, "203.0.113.9"},
		{"spoofed X-Real-IP ignored", ResolverConfig{}, "203.0.113.9:5555", []string{"X-Real-IP: 192.0.2.1"}, "203.0.113.9"},
		{"garbage ignored when untrusted", ResolverConfig{}, "203.0.113.9:5555", []string{"X-Forwarded-For: garbage"}, "203.0.113.9"},
		{"mapped peer unmapped", ResolverConfig{}, "[::ffff:203.0.113.9]:5555", nil, "203.0.113.9"},
		{"peer zone stripped", ResolverConfig{}, "[fe80::1%eth0]:5555", nil, "fe80::1"},
		{"IPv6 peer", ResolverConfig{}, "[2001:db8::7]:5555", nil, "2001:db8::7"},

		// Trusted proxies, but the peer is not one: its headers are ignored.
		{"untrusted peer's XFF ignored", xff, "203.0.113.9:1", []string{"X-Forwarded-For: 10.0.0.2"}, "203.0.113.9"},
		{"untrusted peer's garbage ignored", xff, "203.0.113.9:1", []string{"X-Forwarded-For: ,,"}, "203.0.113.9"},

		// X-Forwarded-For from a trusted peer.
		{"no header: the proxy itself", xff, proxy, nil, "10.0.0.1"},
		{"one hop", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4"}, "198.51.100.4"},
		{"spoofed left entry skipped", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 198.51.100.4"}, "198.51.100.4"},
		{"trusted hops skipped", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 198.51.100.4, 10.0.0.7, 10.9.9.9"}, "198.51.100.4"},
		{"all trusted: leftmost", xff, proxy, []string{"X-Forwarded-For: 10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"OWS and tabs", xff, proxy, []string{"X-Forwarded-For:  1.1.1.1 ,\t198.51.100.4\t"}, "198.51.100.4"},
		{"multiple lines merged in order", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: 198.51.100.4, 10.0.0.3"}, "198.51.100.4"},
		{"multiple lines: last line wins", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4", "X-Forwarded-For: 203.0.113.1"}, "203.0.113.1"},
		{"multiple lines: trusted last line", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4", "X-Forwarded-For: 10.0.0.3"}, "198.51.100.4"},
		{"header name case", xff, proxy, []string{"x-forwarded-for: 198.51.100.4"}, "198.51.100.4"},
		{"IPv6 entry", xff, proxy, []string{"X-Forwarded-For: 2001:db8::1"}, "2001:db8::1"},
		{"bracketed IPv6 entry with port", xff, proxy, []string{"X-Forwarded-For: [2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv4 entry with port", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4:4711"}, "198.51.100.4"},
		{"mapped entry unmapped", xff, proxy, []string{"X-Forwarded-For: ::ffff:198.51.100.4"}, "198.51.100.4"},
		{"mapped trusted entry skipped", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4, ::ffff:10.0.0.9"}, "198.51.100.4"},
		{"mapped trusted peer", xff, "[::ffff:10.0.0.1]:443", []string{"X-Forwarded-For: 198.51.100.4"}, "198.51.100.4"},
		{"entry zone stripped", xff, proxy, []string{"X-Forwarded-For: fe80::1%eth0"}, "fe80::1"},
		{"IPv6 trusted peer", xff, "[fd00::1]:443", []string{"X-Forwarded-For: 198.51.100.4"}, "198.51.100.4"},
		{"garbage left of the client is not read", xff, proxy, []string{"X-Forwarded-For: garbage, 198.51.100.4"}, "198.51.100.4"},

		// Malformed chains fail closed; none falls back to 1.1.1.1.
		{"garbage", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, garbage"}, ""},
		{"unknown", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, unknown"}, ""},
		{"empty entry", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1,,10.0.0.2"}, ""},
		{"trailing comma", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1,"}, ""},
		{"empty header", xff, proxy, []string{"X-Forwarded-For: "}, ""},
		{"empty last line", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: "}, ""},
		{"out of range octet", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 1.2.3.256"}, ""},
		{"octal form", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 010.0.0.1"}, ""},
		{"short form", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 127.1"}, ""},
		{"hex form", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 0x7f.0.0.1"}, ""},
		{"integer form", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 2130706433"}, ""},
		{"CIDR", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 10.0.0.0/8"}, ""},
		{"space inside", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, 198.51 .100.4"}, ""},
		{"bad port", xff, proxy, []string{"X-Forwarded-For: 198.51.100.4:99999"}, ""},
		{"IPv4 in brackets", xff, proxy, []string{"X-Forwarded-For: [198.51.100.4]"}, ""},
		{"unclosed bracket", xff, proxy, []string{"X-Forwarded-For: [2001:db8::1"}, ""},
		{"garbage behind trusted hop", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1, junk, 10.0.0.9"}, ""},
		{"garbage in last line", xff, proxy, []string{"X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: junk"}, ""},

		// RFC 7239 Forwarded.
		{"forwarded for", fwd, proxy, []string{"Forwarded: for=198.51.100.4"}, "198.51.100.4"},
		{"forwarded params", fwd, proxy, []string{"Forwarded: for=198.51.100.4;proto=https;by=10.0.0.1"}, "198.51.100.4"},
		{"forwarded FOR case", fwd, proxy, []string{"Forwarded: By=10.0.0.1; For=198.51.100.4"}, "198.51.100.4"},
		{"forwarded quoted IPv6 with port", fwd, proxy, []string{`Forwarded: for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"forwarded quoted IPv6", fwd, proxy, []string{`Forwarded: for="[2001:db8:cafe::17]"`}, "2001:db8:cafe::17"},
		{"forwarded quoted IPv4 with port", fwd, proxy, []string{`Forwarded: for="198.51.100.4:80"`}, "198.51.100.4"},
		{"forwarded chain", fwd, proxy, []string{`Forwarded: for=1.1.1.1, for=198.51.100.4, for=10.0.0.8`}, "198.51.100.4"},
		{"forwarded lines", fwd, proxy, []string{`Forwarded: for=1.1.1.1`, `Forwarded: for=198.51.100.4;proto=http, for="[fd00::3]"`}, "198.51.100.4"},
		{"forwarded comma in quoted value", fwd, proxy, []string{`Forwarded: for=1.1.1.1;x="a,for=9.9.9.9", for=198.51.100.4`}, "198.51.100.4"},
		{"forwarded unknown", fwd, proxy, []string{"Forwarded: for=1.1.1.1, for=unknown"}, ""},
		{"forwarded obfuscated", fwd, proxy, []string{"Forwarded: for=1.1.1.1, for=_hidden"}, ""},
		{"forwarded bare IPv6", fwd, proxy, []string{`Forwarded: for="2001:db8::1"`}, ""},
		{"forwarded unquoted port", fwd, proxy, []string{"Forwarded: for=198.51.100.4:80"}, ""},
		{"forwarded missing for", fwd, proxy, []string{"Forwarded: for=1.1.1.1, proto=https"}, ""},
		{"forwarded duplicate for", fwd, proxy, []string{"Forwarded: for=1.1.1.1;for=198.51.100.4"}, ""},
		{"forwarded unterminated quote", fwd, proxy, []string{`Forwarded: for="[2001:db8::1]`}, ""},
		{"forwarded escape", fwd, proxy, []string{`Forwarded: for="198.51.100\.4"`}, ""},
		{"forwarded empty element", fwd, proxy, []string{"Forwarded: for=1.1.1.1,,for=198.51.100.4"}, ""},
		{"forwarded garbage", fwd, proxy, []string{"Forwarded: 198.51.100.4"}, ""},
		{"forwarded empty value", fwd, proxy, []string{"Forwarded: for="}, ""},
		{"forwarded octal", fwd, proxy, []string{"Forwarded: for=010.0.0.1"}, ""},
		{"forwarded XFF ignored", fwd, proxy, []string{"X-Forwarded-For: 198.51.100.4"}, "10.0.0.1"},

		// A single address header.
		{"x-real-ip", single, proxy, []string{"X-Real-IP: 198.51.100.4"}, "198.51.100.4"},
		{"x-real-ip trusted value kept", single, proxy, []string{"X-Real-IP: 10.0.0.4"}, "10.0.0.4"},
		{"x-real-ip IPv6", single, proxy, []string{"X-Real-IP: 2001:db8::4"}, "2001:db8::4"},
		{"x-real-ip list", single, proxy, []string{"X-Real-IP: 1.1.1.1, 198.51.100.4"}, ""},
		{"x-real-ip two lines", single, proxy, []string{"X-Real-IP: 1.1.1.1", "X-Real-IP: 198.51.100.4"}, ""},
		{"x-real-ip garbage", single, proxy, []string{"X-Real-IP: unknown"}, ""},
		{"x-real-ip XFF ignored", single, proxy, []string{"X-Forwarded-For: 198.51.100.4"}, "10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := NewResolver(tc.cfg)
			require.NoError(t, err)
			r := request(tc.remote, tc.lines...)
			before := r.RemoteAddr
			got, err := res.Resolve(r)
			assert.Equal(t, before, r.RemoteAddr, "RemoteAddr is never mutated")
			if tc.want == "" {
				require.ErrorIs(t, err, ErrMalformedHeader)
				require.ErrorIs(t, err, envelope.ErrForbidden)
				assert.False(t, got.IsValid())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, netip.MustParseAddr(tc.want), got)
		})
	}
}

func TestResolveBadPeer(t *testing.T) {
	res, err := NewResolver(ResolverConfig{})
	require.NoError(t, err)
	for _, remote := range []string{"", "@", "pipe", "localhost:80", "127.1:80"} {
		t.Run(remote, func(t *testing.T) {
			_, err := res.Resolve(request(remote))
			require.ErrorIs(t, err, ErrNoClientAddr)
		})
	}
}

func TestNewResolverErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ResolverConfig
		want error
	}{
		{"bad proxy", ResolverConfig{TrustedProxies: []string{"10.0.0.0/33"}}, ErrInvalidPrefix},
		{"header without proxies", ResolverConfig{Header: "X-Real-IP"}, ErrConfig},
		{"bad header name", ResolverConfig{TrustedProxies: []string{"10.0.0.1"}, Header: "X Real IP"}, ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewResolver(tc.cfg)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestResolverMiddleware(t *testing.T) {
	var events []gatehouse.Event
	res, err := NewResolver(ResolverConfig{
		TrustedProxies: []string{"10.0.0.0/8"},
		Style:          envelope.Flat,
		Audit:          gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) { events = append(events, e) }),
	})
	require.NoError(t, err)
	var seen netip.Addr
	h := res.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = gatehouse.ClientAddr(r)
		assert.Equal(t, "10.0.0.1:443", r.RemoteAddr)
	}))

	t.Run("stores the resolved address", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request("10.0.0.1:443", "X-Forwarded-For: 198.51.100.4"))
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, netip.MustParseAddr("198.51.100.4"), seen)
		require.Len(t, events, 1, "a resolved request is audited once")
		assert.Equal(t, gatehouse.Allowed, events[0].Outcome)
		assert.Equal(t, netip.MustParseAddr("198.51.100.4"), events[0].ClientIP)
	})
	t.Run("malformed chain is 403", func(t *testing.T) {
		events = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request("10.0.0.1:443", "X-Forwarded-For: 198.51.100.4, unknown"))
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.JSONEq(t, `{"success":false,"error":"Forbidden","message":"IP address not authorized"}`, w.Body.String())
		require.Len(t, events, 1)
		assert.Equal(t, "resolve", events[0].Action)
		assert.Equal(t, "malformed_forwarding_header", string(events[0].Reason))
		assert.Equal(t, gatehouse.Denied, events[0].Outcome)
		assert.Equal(t, netip.MustParseAddr("10.0.0.1"), events[0].ClientIP)
	})
}

func TestResolveDoesNotAllocate(t *testing.T) {
	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	r := request("10.0.0.1:443", "X-Forwarded-For: 1.1.1.1, 198.51.100.4, 10.0.0.2")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = res.Resolve(r) }))
	fres, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}, Header: HeaderForwarded})
	require.NoError(t, err)
	fr := request("10.0.0.1:443", `Forwarded: for=1.1.1.1, for="[2001:db8::1]:80";proto=https, for=10.0.0.2`)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = fres.Resolve(fr) }))
}

func FuzzXForwardedFor(f *testing.F) {
	for _, s := range []string{"1.1.1.1, 198.51.100.4", "10.0.0.2", ",,", "unknown", "[::1]:80", "::ffff:1.2.3.4", "010.0.0.1", "127.1"} {
		f.Add(s, "10.0.0.9")
	}
	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := request("10.0.0.1:443")
		r.Header["X-Forwarded-For"] = []string{line1, line2}
		a, err := res.Resolve(r)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedHeader)
			return
		}
		// The answer is an entry of the header, normalised, and it is the
		// rightmost untrusted one.
		require.True(t, a.IsValid())
		require.Equal(t, a, a.Unmap().WithZone(""))
		entries := strings.Split(line1+","+line2, ",")
		found := false
		for i := len(entries) - 1; i >= 0; i-- {
			e, ok := parseNode(trimOWS(entries[i]))
			require.True(t, ok, "entry %q right of the answer must parse", entries[i])
			if e == a {
				found = true
				break
			}
			require.True(t, res.trusted.Contains(e), "untrusted entry %s skipped", e)
		}
		require.True(t, found)
	})
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{`for=1.1.1.1, for=198.51.100.4`, `for="[2001:db8::1]:80";proto=https`, `for=unknown`, `for=_x`, `By=1;For="1.2.3.4:5"`, `for="a,b"`} {
		f.Add(s)
	}
	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}, Header: HeaderForwarded})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, line string) {
		r := request("10.0.0.1:443")
		r.Header["Forwarded"] = []string{line}
		a, err := res.Resolve(r)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedHeader)
			return
		}
		require.True(t, a.IsValid())
		require.Equal(t, a, a.Unmap().WithZone(""))
		fors, ok := forwardedFors(nil, []string{line})
		require.True(t, ok)
		found := false
		for i := len(fors) - 1; i >= 0; i-- {
			e, ok := forwardedNode(fors[i])
			require.True(t, ok, "value %q right of the answer must parse", fors[i])
			if e == a {
				found = true
				break
			}
			require.True(t, res.trusted.Contains(e), "untrusted value %s skipped", e)
		}
		require.True(t, found, "the answer comes from the header")
	})
}

// TestConfigReportsEveryProblem: the constructors list every problem of a
// configuration at once.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/33"}, Header: "X Real IP"})
	require.ErrorIs(t, err, ErrConfig)
	require.ErrorIs(t, err, ErrInvalidPrefix)
	assert.ErrorContains(t, err, "TrustedProxies")
	assert.ErrorContains(t, err, "not a header name")

	_, err = New(Config{Allow: []string{"10.0.0.0/33"}, Deny: []string{"127.1"}})
	require.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "in Allow: ")
	assert.ErrorContains(t, err, "in Deny: ")

	_, err = NewPerPrincipal(PerPrincipalConfig{})
	require.ErrorIs(t, err, ErrConfig)
}
