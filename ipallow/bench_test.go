package ipallow

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"testing"

	"github.com/gatehouse-go/gatehouse"
)

var benchSizes = []int{1, 100, 10_000, 100_000}

// benchPrefixes returns n prefixes, alternating IPv4 (/16 to /32) and IPv6
// (/32 to /128 within 2000::/3), spread over the address space the way
// real allowlists and blocklists are.
func benchPrefixes(rng *rand.Rand, n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		if i%2 == 0 {
			a := netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
			ps[i] = netip.PrefixFrom(a, 16+rng.IntN(17)).Masked()
			continue
		}
		var b [16]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		b[0] = 0x20 | b[0]&0x1f
		ps[i] = netip.PrefixFrom(netip.AddrFrom16(b), 32+rng.IntN(97)).Masked()
	}
	return ps
}

// benchQueries returns 1024 addresses, half IPv4 and half IPv6, that are
// all in ps (allowed) or all outside it (denied).
func benchQueries(rng *rand.Rand, ps []netip.Prefix, set *PrefixSet, allowed bool) []netip.Addr {
	qs := make([]netip.Addr, 0, 1024)
	for len(qs) < cap(qs) {
		want4 := len(qs)%2 == 0
		var a netip.Addr
		if allowed {
			p := ps[rng.IntN(len(ps))]
			if p.Addr().Is4() != want4 && len(ps) > 1 {
				continue
			}
			a = addrIn(rng, p)
		} else if want4 {
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		} else {
			var b [16]byte
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			b[0] = 0x20 | b[0]&0x1f
			a = netip.AddrFrom16(b)
		}
		if set.Contains(a) == allowed {
			qs = append(qs, a)
		}
	}
	return qs
}

var sink bool

// BenchmarkContains measures PrefixSet.Contains beside its floor, a linear
// scan of netip.Prefix.Contains over the same prefixes.
func BenchmarkContains(b *testing.B) {
	for _, n := range benchSizes {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		ps := benchPrefixes(rng, n)
		set, err := NewPrefixSet(ps)
		if err != nil {
			b.Fatal(err)
		}
		for _, allowed := range []bool{true, false} {
			verdict := map[bool]string{true: "allowed", false: "denied"}[allowed]
			qs := benchQueries(rng, ps, set, allowed)
			b.Run(fmt.Sprintf("n=%d/%s/PrefixSet", n, verdict), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sink = set.Contains(qs[i&1023])
					i++
				}
			})
			b.Run(fmt.Sprintf("n=%d/%s/floor=LinearScan", n, verdict), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					a := qs[i&1023].Unmap()
					found := false
					for _, p := range ps {
						if p.Contains(a) {
							found = true
							break
						}
					}
					sink = found
					i++
				}
			})
		}
	}
}

// discard is a ResponseWriter that costs nothing, so that the benchmarks
// measure the middleware and not the recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddleware measures the allow and deny paths of the middleware
// beside the bare handler (the floor) in the same run.
func BenchmarkMiddleware(b *testing.B) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	w := &discard{h: http.Header{}}
	serve := func(b *testing.B, h http.Handler, r *http.Request) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, r)
		}
	}
	allowed := request("203.0.113.9:51234")
	denied := request("198.51.100.1:51234")

	b.Run("floor=BareHandler", func(b *testing.B) { serve(b, handler, allowed) })

	for _, n := range []int{1, 100_000} {
		entries := []string{"203.0.113.0/24"}
		for _, p := range benchPrefixes(rand.New(rand.NewPCG(3, 4)), n-1) {
			if !p.Contains(netip.MustParseAddr("198.51.100.1")) {
				entries = append(entries, p.String())
			}
		}
		al, err := New(Config{Allow: entries})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Allowlist/n=%d/allowed", n), func(b *testing.B) { serve(b, al.Middleware(handler), allowed) })
		b.Run(fmt.Sprintf("Allowlist/n=%d/denied", n), func(b *testing.B) { serve(b, al.Middleware(handler), denied) })
	}

	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		b.Fatal(err)
	}
	proxied := request("10.0.0.1:443", "X-Forwarded-For: 192.0.2.1, 203.0.113.9, 10.0.0.7")
	b.Run("Resolver/XFF", func(b *testing.B) { serve(b, res.Middleware(handler), proxied) })
	al, err := New(Config{Allow: []string{"203.0.113.0/24"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Resolver+Allowlist/XFF/allowed", func(b *testing.B) {
		serve(b, gatehouse.Chain(res.Middleware, al.Middleware)(handler), proxied)
	})

	lists := NewMemoryLists()
	if err := lists.Set(context.Background(), "acct_a", []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}); err != nil {
		b.Fatal(err)
	}
	pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: lists})
	if err != nil {
		b.Fatal(err)
	}
	authed := allowed.WithContext(gatehouse.WithPrincipal(allowed.Context(), gatehouse.Principal{Subject: "u", Tenant: "acct_a"}))
	b.Run("floor=BareHandler/with-principal", func(b *testing.B) { serve(b, handler, authed) })
	b.Run("PerPrincipal/allowed", func(b *testing.B) { serve(b, pp.Middleware(handler), authed) })
}

// BenchmarkResolve measures client-address resolution alone.
func BenchmarkResolve(b *testing.B) {
	xff, _ := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	fwd, _ := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}, Header: HeaderForwarded})
	for _, tc := range []struct {
		name string
		res  *Resolver
		r    *http.Request
	}{
		{"peer", xff, request("203.0.113.9:51234")},
		{"XFF/3-hops", xff, request("10.0.0.1:443", "X-Forwarded-For: 192.0.2.1, 203.0.113.9, 10.0.0.7")},
		{"Forwarded/3-hops", fwd, request("10.0.0.1:443", `Forwarded: for=192.0.2.1, for="[2001:db8::9]:4711";proto=https, for=10.0.0.7`)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = tc.res.Resolve(tc.r)
			}
		})
	}
}
