package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// Benchmarks against the same Redis as the tests (loopback). The floor of
// every store benchmark is BenchmarkFloorPing: one PING round trip on the
// same client, the least any Redis-backed check can cost.

func benchStore(b *testing.B) *redisstore.Store {
	b.Helper()
	c := redistest.Client(b)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(b, c)})
	if err != nil {
		b.Fatal(err)
	}
	return established(b, s)
}

func BenchmarkFloorPing(b *testing.B) {
	c := redistest.Client(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsRevoked(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if err := s.Revocations().RevokeToken(ctx, "bench", "revoked-jti", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.Run("redis", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.Revocations().Revoked(ctx, &bearer.TokenRef{Subject: "bench", ID: "live-jti", SessionID: "s"}); err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		m := bearer.NewMemoryRevocations(nil)
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := m.Revoked(ctx, &bearer.TokenRef{Subject: "bench", ID: "live-jti", SessionID: "s"}); err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkDeployments compares a hot-path read, the API-key lookup (one
// HGETALL), on every test deployment, against that deployment's PING
// floor.
func BenchmarkDeployments(b *testing.B) {
	ctx := context.Background()
	for _, d := range deployments {
		b.Run(d.name, func(b *testing.B) {
			c := d.client(b)
			s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(b, c)})
			if err != nil {
				b.Fatal(err)
			}
			key := apikey.Hash("ak_bench")
			if err := s.APIKeys().Put(ctx, apikey.Record{ID: "key_bench", Hash: key, Scopes: []string{"orders:read"}}); err != nil {
				b.Fatal(err)
			}
			b.Run("ping", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Ping(ctx).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("APIKeyLookup", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if rec, err := s.APIKeys().Lookup(ctx, key); err != nil || rec.ID != "key_bench" {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkTake(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	lim := ratelimit.PerSecond(1 << 30)
	b.ReportAllocs()
	for b.Loop() {
		if res, err := s.RateLimit().Take(ctx, "ip:192.0.2.1", lim, time.Now()); err != nil || !res.Allowed {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkAllowSet(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if err := s.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if set, err := s.Lists().AllowSet(ctx, "acct"); err != nil || set == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplayUse(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Replay().Use(ctx, "client", string(rune(i)), time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBearerMiddleware runs an HS256 request through the bearer
// middleware with revocations in Redis: "cache-hit" is a token the
// middleware has verified before (the revocation check is all that is
// left), "first-sight" one it verifies every time (cache disabled). The
// difference is the signature verification and claims parsing the
// verified-token cache still saves with a shared revocation store.
// "redis-localcache" keeps revocation answers in the Store's local copy
// (Config.LocalCache), which Redis invalidates: a cache hit makes no
// round trip.
func BenchmarkBearerMiddleware(b *testing.B) {
	s := benchStore(b)
	local := cachedStore(b, s.Client(), s.Prefix(), redisstore.LocalCache{})
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "bench", "sub": "alice", "jti": "jti-bench", "exp": time.Now().Add(time.Hour).Unix(),
		"scope": "orders:read orders:write",
	}).SignedString(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name  string
		cache *int
		store bearer.RevocationStore
	}{
		{"redis/cache-hit", nil, s.Revocations()},
		{"redis/first-sight", new(0), s.Revocations()},
		{"redis-localcache/cache-hit", nil, local.Revocations()},
		{"memory/cache-hit", nil, bearer.NewMemoryRevocations(nil)},
		{"memory/first-sight", new(0), bearer.NewMemoryRevocations(nil)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			auth, err := bearer.New(bearer.Config{
				Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bench", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
				Revocations: tc.store, CacheSize: tc.cache,
			})
			if err != nil {
				b.Fatal(err)
			}
			h := auth.Middleware(next)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := &discard{h: make(http.Header)}
			h.ServeHTTP(w, r) // warm the cache
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.code = 0
				h.ServeHTTP(w, r)
			}
			if w.code != http.StatusNoContent {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}

type discard struct {
	h    http.Header
	code int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }
func (w *discard) WriteHeader(code int)        { w.code = code }

// BenchmarkLocalCachePropagation measures the time a revocation written by
// one Store takes to reach another Store's local copy (from the start of
// the write until the other refuses the token), reported as p50-ns and
// p99-ns over 100 revocations per iteration.
func BenchmarkLocalCachePropagation(b *testing.B) {
	for _, d := range cacheDeployments {
		b.Run(d.name, func(b *testing.B) {
			c := d.client(b)
			prefix := redistest.Prefix(b, c)
			establishPrefix(b, c, prefix)
			a := cachedStore(b, c, prefix, redisstore.LocalCache{})
			w := cachedStore(b, d.client(b), prefix, redisstore.LocalCache{})
			var p50, p99 time.Duration
			for b.Loop() {
				p50, p99 = propagation(b, a, w, 100)
			}
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkAPIRequest runs an HS256 request (a token the bearer middleware
// verified before) through the bearer middleware and
// ipallow.PerPrincipal's allowlist, both on Redis: "direct" reads the
// revocations and then the allowlist (two round trips), "read-ahead"
// runs in the Store's scope (Store.Middleware), which pipelines the two
// (one round trip); "localcache" keeps both answers in the local copy
// (no round trip), with and without the scope, whose cost is then its
// per-request context.
func BenchmarkAPIRequest(b *testing.B) {
	c := redistest.Client(b)
	prefix := redistest.Prefix(b, c)
	newStore := func(local bool) *redisstore.Store {
		s, err := redisstore.New(redisstore.Config{
			Client: c, Prefix: prefix, SkipServerCheck: true,
			LocalCache: redisstore.LocalCache{Enabled: local}, AllowlistAccount: ipallowAccount, Logger: quiet,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		if local {
			waitLive(b, s, true)
		}
		return s
	}
	direct, local := established(b, newStore(false)), newStore(true)
	if err := direct.Lists().Set(context.Background(), "alice", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}); err != nil {
		b.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "bench", "sub": "alice", "jti": "jti-bench", "exp": time.Now().Add(time.Hour).Unix(),
		"scope": "orders:read orders:write",
	}).SignedString(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name  string
		s     *redisstore.Store
		scope bool
	}{
		{"direct", direct, false},
		{"read-ahead", direct, true},
		{"localcache", local, false},
		{"localcache+read-ahead", local, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			auth, err := bearer.New(bearer.Config{
				Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bench", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
				Revocations: tc.s.Revocations(),
			})
			if err != nil {
				b.Fatal(err)
			}
			pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: tc.s.Lists()})
			if err != nil {
				b.Fatal(err)
			}
			h := auth.Middleware(pp.Middleware(next))
			if tc.scope {
				h = tc.s.Middleware(h)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "192.0.2.7:1234"
			r.Header.Set("Authorization", "Bearer "+tok)
			w := &discard{h: make(http.Header)}
			h.ServeHTTP(w, r) // warm the caches
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.code = 0
				h.ServeHTTP(w, r)
			}
			if w.code != http.StatusNoContent {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}
