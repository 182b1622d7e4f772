package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

// t0 is the fixed test clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signer holds one private key and the algorithm it signs with.
type signer struct {
	alg    string
	kid    string
	method jwt.SigningMethod
	priv   any
	pub    any
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is generated once: 2048-bit generation is slow.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

var hmacSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

func newSigner(t testing.TB, alg, kid string) signer {
	t.Helper()
	s := signer{alg: alg, kid: kid, method: jwt.GetSigningMethod(alg)}
	switch alg {
	case "HS256", "HS384", "HS512":
		secret := make([]byte, 64)
		copy(secret, hmacSecret)
		s.priv, s.pub = secret, secret
	case "RS256", "PS256":
		k := testRSAKey(t)
		s.priv, s.pub = k, &k.PublicKey
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		s.priv, s.pub = k, &k.PublicKey
	case "EdDSA":
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		s.priv, s.pub = priv, pub
	default:
		t.Fatalf("no test signer for %s", alg)
	}
	return s
}

func (s signer) key() Key { return Key{ID: s.kid, Algorithm: s.alg, Key: s.pub} }

// sign returns a token with claims and the signer's kid; extra header
// fields are merged in (a nil value removes a field).
func (s signer) sign(t testing.TB, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, claims)
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	str, err := tok.SignedString(s.priv)
	require.NoError(t, err)
	return str
}

// claimsAt returns valid claims for a token issued at now.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":       "https://issuer.test",
		"aud":       "api://orders",
		"sub":       "user-42",
		"jti":       "jti-1",
		"sid":       "sess-7",
		"client_id": "cli-9",
		"tenant":    "acme",
		"scope":     "orders:read orders:write",
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
	}
}

func baseConfig(c *clock, s ...signer) Config {
	cfg := Config{
		Realm:     "api",
		Issuers:   []Issuer{{URL: "https://issuer.test"}},
		Audiences: []string{"api://orders"},
		Now:       c.Now,
	}
	for _, x := range s {
		cfg.Algorithms = append(cfg.Algorithms, x.alg)
		cfg.Issuers[0].Keys = append(cfg.Issuers[0].Keys, x.key())
	}
	return cfg
}

func mustNew(t testing.TB, cfg Config) *Authenticator {
	t.Helper()
	a, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func bearerRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/orders", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// serve runs r through a's middleware into a handler that records the
// Principal, and returns the response and the Principal seen.
func serve(a *Authenticator, r *http.Request) (*httptest.ResponseRecorder, gatehouse.Principal, bool) {
	var got gatehouse.Principal
	var ok bool
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = gatehouse.PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, got, ok
}

var (
	jwtHS256 = jwt.SigningMethodHS256
	jwtPS256 = jwt.SigningMethodPS256
)

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// verifyJWT is what check does with a token of three segments: it cuts
// tok and verifies it (verifyCut).
func (a *Authenticator) verifyJWT(ctx context.Context, tok string) (*gatehouse.Principal, reason, error) {
	c := cutToken(tok)
	return a.verifyCut(ctx, tok, &c)
}
