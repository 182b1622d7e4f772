package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// benchWriter is a ResponseWriter that keeps nothing, so that benchmarks
// measure the middleware and not a recorder. Its header map is reused.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

func (w *benchWriter) reset() { clear(w.h); w.code = 0 }

var bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

// floorHandler is the plain net/http + golang-jwt equivalent: cut the
// "Bearer " prefix and ParseWithClaims the token with a parser built once
// with the same options, then call next.
func floorHandler(key any, alg string, next http.Handler) http.Handler {
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithStrictDecoding(), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithAudience("api://orders"), jwt.WithIssuer("https://issuer.test"))
	kf := func(*jwt.Token) (any, error) { return key, nil }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if _, err := p.ParseWithClaims(tok, jwt.MapClaims{}, kf); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func run(b *testing.B, h http.Handler, r *http.Request, want int, after func()) {
	b.Helper()
	w := &benchWriter{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		if after != nil {
			after()
		}
	}
	b.StopTimer()
	if w.code != want {
		b.Fatalf("status %d, want %d", w.code, want)
	}
}

func benchAuth(b *testing.B, s signer) *Authenticator {
	cfg := Config{
		Algorithms:  []string{s.alg},
		Issuers:     []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}},
		Audiences:   []string{"api://orders"},
		Revocations: NewMemoryRevocations(nil),
	}
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkVerify measures, per algorithm, the golang-jwt floor, the first
// sight of a token (full verification and cache insert; the entry is
// removed after each request, which is counted), and a cache hit.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		s := newSigner(b, alg, "k1")
		tok := s.sign(b, claimsAt(time.Now()), nil)
		r := bearerRequest(tok)
		a := benchAuth(b, s)
		h := a.Middleware(bare)

		b.Run(alg+"/floor-golang-jwt", func(b *testing.B) { run(b, floorHandler(s.pub, alg, bare), r, 204, nil) })
		b.Run(alg+"/first-sight", func(b *testing.B) { run(b, h, r, 204, func() { a.cache.remove(tok) }) })
		b.Run(alg+"/cache-hit", func(b *testing.B) { run(b, h, r, 204, nil) })
	}
}

// BenchmarkJWKSCacheHit measures a cache hit for a token verified with a
// key from a remote JWK Set (a loopback server), which also confirms that
// the key is still published.
func BenchmarkJWKSCacheHit(b *testing.B) {
	s := newSigner(b, "ES256", "k1")
	srv := newJWKSServer(b, s)
	a, err := New(Config{
		Algorithms:  []string{"ES256"},
		Issuers:     []Issuer{{URL: "https://issuer.test", JWKSURL: srv.URL}},
		Audiences:   []string{"api://orders"},
		Revocations: NewMemoryRevocations(nil),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	run(b, a.Middleware(bare), bearerRequest(s.sign(b, claimsAt(time.Now()), nil)), 204, nil)
}

func BenchmarkBare(b *testing.B) {
	run(b, bare, bearerRequest("x"), 204, nil)
}

func BenchmarkMissingHeader(b *testing.B) {
	s := newSigner(b, "HS256", "k1")
	r := bearerRequest("")
	b.Run("floor-golang-jwt", func(b *testing.B) { run(b, floorHandler(s.pub, "HS256", bare), r, 401, nil) })
	b.Run("gatehouse", func(b *testing.B) { run(b, benchAuth(b, s).Middleware(bare), r, 401, nil) })
}

func BenchmarkBadSignature(b *testing.B) {
	for _, alg := range []string{"HS256", "RS256"} {
		s := newSigner(b, alg, "k1")
		tok := s.sign(b, claimsAt(time.Now()), nil)
		r := bearerRequest(flip(tok, len(tok)-5))
		b.Run(alg+"/floor-golang-jwt", func(b *testing.B) { run(b, floorHandler(s.pub, alg, bare), r, 401, nil) })
		b.Run(alg+"/gatehouse", func(b *testing.B) { run(b, benchAuth(b, s).Middleware(bare), r, 401, nil) })
	}
}

// BenchmarkHugeHeader shows a 1 MiB Authorization header is refused
// before any parsing.
func BenchmarkHugeHeader(b *testing.B) {
	s := newSigner(b, "HS256", "k1")
	r := bearerRequest(strings.Repeat("a", 1<<20))
	run(b, benchAuth(b, s).Middleware(bare), r, 401, nil)
}

// BenchmarkOpaque measures an opaque token looked up in MemoryTokens.
func BenchmarkOpaque(b *testing.B) {
	store := NewMemoryTokens()
	if err := store.Add(b.Context(), "pxl_live_0123456789abcdef0123456789", TokenRecord{ID: "t1", Subject: "s", Scopes: []string{"products:read"}}); err != nil {
		b.Fatal(err)
	}
	a, err := New(Config{Tokens: store})
	if err != nil {
		b.Fatal(err)
	}
	run(b, a.Middleware(bare), bearerRequest("pxl_live_0123456789abcdef0123456789"), 204, nil)
}

var _ = httptest.NewRecorder

// bigClaims returns valid claims for a token issued at now, padded with
// about n bytes of extra string claims: the claims segment a forger can
// make as large as the header limit allows.
func bigClaims(now time.Time, n int) jwt.MapClaims {
	m := claimsAt(now)
	for i := 0; n > 0; i++ {
		m[fmt.Sprintf("x%04d", i)] = strings.Repeat("y", 48)
		n -= 60
	}
	return m
}

// BenchmarkFirstSight measures, per algorithm and beside the golang-jwt
// floor in the same run, the first sight of a valid token with the cache
// disabled, a forged token (a flipped signature byte), and a forged token
// whose claims segment is about 4 KiB: a forgery is refused after one
// signature check, without its claims being decoded.
func BenchmarkFirstSight(b *testing.B) {
	for _, alg := range []string{"HS256", "RS256"} {
		s := newSigner(b, alg, "k1")
		now := time.Now()
		valid := s.sign(b, claimsAt(now), nil)
		forged := flip(valid, len(valid)-5)
		big := s.sign(b, bigClaims(now, 4<<10), nil)
		forgedBig := flip(big, len(big)-5)

		cfg := Config{
			Algorithms:  []string{s.alg},
			Issuers:     []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}},
			Audiences:   []string{"api://orders"},
			Revocations: NewMemoryRevocations(nil),
			CacheSize:   new(0),
		}
		a, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		h := a.Middleware(bare)
		floor := floorHandler(s.pub, alg, bare)
		for _, tc := range []struct {
			name string
			tok  string
			want int
		}{
			{"valid", valid, 204},
			{"forged", forged, 401},
			{"forged-4KiB-claims", forgedBig, 401},
		} {
			r := bearerRequest(tc.tok)
			b.Run(alg+"/"+tc.name+"/floor-golang-jwt", func(b *testing.B) { run(b, floor, r, tc.want, nil) })
			b.Run(alg+"/"+tc.name+"/gatehouse", func(b *testing.B) { run(b, h, r, tc.want, nil) })
		}
	}
}

// BenchmarkUnknownKID measures the refusal of a token whose kid the
// issuer's set does not hold, while the set may not be fetched again (the
// flood case): each request sees a kid never seen before. It reports the
// fetches the flood caused.
func BenchmarkUnknownKID(b *testing.B) {
	s := newSigner(b, "ES256", "k1")
	srv := newJWKSServer(b, s)
	a, err := New(Config{
		Algorithms: []string{"ES256"},
		Issuers:    []Issuer{{URL: "https://issuer.test", JWKSURL: srv.URL}},
		WaitReady:  5 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	toks := make([]*http.Request, 4096)
	for i := range toks {
		toks[i] = bearerRequest(signer{alg: "ES256", kid: fmt.Sprintf("random-%d", i), method: s.method, priv: s.priv}.sign(b, claimsAt(time.Now()), nil))
	}
	h := a.Middleware(bare)
	before := srv.hits.Load()
	w := &benchWriter{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w.reset()
		h.ServeHTTP(w, toks[i%len(toks)])
	}
	b.StopTimer()
	if w.code != http.StatusUnauthorized {
		b.Fatalf("status %d", w.code)
	}
	b.ReportMetric(float64(srv.hits.Load()-before), "fetches")
}

// BenchmarkDPoP measures a request with a DPoP-bound token already in the
// cache — the token's checks are skipped, its proof is checked: one ES256
// signature and one insert in the in-memory replay store — beside its
// floor, the parts measured alone in the same run: a bearer cache hit of
// the same token unbound, golang-jwt's ES256 verification of a proof, and
// one replay-store insert.
func BenchmarkDPoP(b *testing.B) {
	const uri = "https://api.example.com/orders"
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	key, err := dpop.NewSigner(k, "ES256")
	if err != nil {
		b.Fatal(err)
	}
	store, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{MaxKeys: 1 << 22, MaxKeysPerScope: 1 << 22})
	if err != nil {
		b.Fatal(err)
	}
	v, err := dpop.New(dpop.Config{Replay: store, Origin: "https://api.example.com"})
	if err != nil {
		b.Fatal(err)
	}
	s := newSigner(b, "HS256", "k1")
	a, err := New(Config{
		Algorithms:  []string{"HS256"},
		Issuers:     []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}},
		Audiences:   []string{"api://orders"},
		Revocations: NewMemoryRevocations(nil),
		DPoP:        DPoP{Mode: DPoPAllowed, Verifier: v},
	})
	if err != nil {
		b.Fatal(err)
	}
	c := claimsAt(time.Now())
	plain := s.sign(b, c, nil)
	c["cnf"] = map[string]any{"jkt": key.Thumbprint()}
	bound := s.sign(b, c, nil)
	h := a.Middleware(bare)
	proofs := func(n int) []*http.Request {
		rs := make([]*http.Request, n)
		for i := range rs {
			p, err := key.Sign(dpop.ProofRequest{Method: "GET", URI: uri, AccessToken: bound})
			if err != nil {
				b.Fatal(err)
			}
			rs[i] = httptest.NewRequest(http.MethodGet, uri, nil)
			rs[i].Header.Set("Authorization", "DPoP "+bound)
			rs[i].Header.Set("DPoP", p)
		}
		return rs
	}
	warm := proofs(1)[0]
	w := &benchWriter{h: make(http.Header)}
	h.ServeHTTP(w, warm) // the token is cached from here on
	if w.code != http.StatusNoContent {
		b.Fatalf("status %d", w.code)
	}

	b.Run("bearer-cache-hit", func(b *testing.B) { run(b, h, bearerRequest(plain), 204, nil) })
	b.Run("dpop-cache-hit", func(b *testing.B) {
		rs := proofs(b.N)
		w := &benchWriter{h: make(http.Header)}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w.reset()
			h.ServeHTTP(w, rs[i])
		}
		b.StopTimer()
		if w.code != http.StatusNoContent {
			b.Fatalf("status %d", w.code)
		}
	})
	b.Run("floor-es256-verify", func(b *testing.B) {
		p, _ := key.Sign(dpop.ProofRequest{Method: "GET", URI: uri, AccessToken: bound})
		i := strings.LastIndexByte(p, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(p[i+1:])
		b.ReportAllocs()
		for b.Loop() {
			if err := jwt.SigningMethodES256.Verify(p[:i], sig, &k.PublicKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-replay-insert", func(b *testing.B) {
		r, _ := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{MaxKeys: 1 << 22, MaxKeysPerScope: 1 << 22})
		ids := make([]string, b.N)
		for i := range ids {
			ids[i] = fmt.Sprintf("jti-%026d", i)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := r.Use(ctx, "dpop:"+key.Thumbprint(), ids[i], 2*time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}
