package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// countingStore counts the writes that reach a replay store.
type countingStore struct {
	dpop.ReplayStore
	calls atomic.Int64
}

func (s *countingStore) Use(ctx context.Context, scope, key string, ttl time.Duration) (bool, error) {
	s.calls.Add(1)
	return s.ReplayStore.Use(ctx, scope, key, ttl)
}

func newCountingStore(t testing.TB) *countingStore {
	m, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{Now: fixedNow})
	require.NoError(t, err)
	return &countingStore{ReplayStore: m}
}

// TestVerifyRefusals breaks one thing per case; none of the refused
// proofs reaches the replay store.
func TestVerifyRefusals(t *testing.T) {
	ec, ec384, _, rsaKey := keys(t)
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	const token = "an-access-token"

	type tc struct {
		name  string
		req   func(t *testing.T) *http.Request
		token string
		want  error
	}
	// one builds the request for a proof changed by f.
	one := func(f func(p *proof)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			p := newProof(t)
			f(p)
			return request(p.sign(t))
		}
	}
	// raw builds the request for the proof string f makes of a valid one.
	raw := func(f func(t *testing.T, h, c, sig string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			parts := strings.Split(newProof(t).sign(t), ".")
			return request(f(t, parts[0], parts[1], parts[2]))
		}
	}
	cases := []tc{
		{"no DPoP header", func(*testing.T) *http.Request { return request() }, "", dpop.ErrMissingProof},
		{"empty DPoP header", func(*testing.T) *http.Request { return request("") }, "", dpop.ErrMissingProof},
		{"two DPoP headers", func(t *testing.T) *http.Request {
			return request(newProof(t).sign(t), newProof(t).sign(t))
		}, "", dpop.ErrMultipleProofs},
		{"too long", one(func(p *proof) { p.claims["pad"] = strings.Repeat("x", 8<<10) }), "", dpop.ErrMalformedProof},
		{"two segments", raw(func(_ *testing.T, h, c, _ string) string { return h + "." + c }), "", dpop.ErrMalformedProof},
		{"four segments", raw(func(_ *testing.T, h, c, s string) string { return h + "." + c + "." + s + ".x" }), "", dpop.ErrMalformedProof},
		{"padded header", raw(func(_ *testing.T, h, c, s string) string { return h + "==." + c + "." + s }), "", dpop.ErrMalformedProof},
		{"header not base64url", raw(func(_ *testing.T, h, c, s string) string { return "+" + h[1:] + "." + c + "." + s }), "", dpop.ErrMalformedProof},
		{"header not JSON", raw(func(_ *testing.T, _, c, s string) string { return b64([]byte("{typ")) + "." + c + "." + s }), "", dpop.ErrMalformedProof},
		{"header an array", raw(func(_ *testing.T, _, c, s string) string { return b64([]byte("[]")) + "." + c + "." + s }), "", dpop.ErrMalformedProof},
		{"crit header", one(func(p *proof) { p.header["crit"] = []string{"exp"} }), "", dpop.ErrMalformedProof},
		{"typ missing", one(func(p *proof) { delete(p.header, "typ") }), "", dpop.ErrProofType},
		{"typ JWT", one(func(p *proof) { p.header["typ"] = "JWT" }), "", dpop.ErrProofType},
		{"typ with parameters", one(func(p *proof) { p.header["typ"] = "dpop+jwt; x=y" }), "", dpop.ErrProofType},
		{"typ not a string", one(func(p *proof) { p.header["typ"] = 1 }), "", dpop.ErrMalformedProof},
		{"alg none", raw(func(t *testing.T, _, c, _ string) string {
			p := newProof(t)
			p.header["alg"] = "none"
			h, _ := p.encode(t)
			return h + "." + c + "."
		}), "", dpop.ErrProofAlgorithm},
		{"alg HS256", one(func(p *proof) { p.header["alg"] = "HS256"; p.method, p.key = hmacSigner{}, nil }), "", dpop.ErrProofAlgorithm},
		{"alg not configured (ES512)", one(func(p *proof) { p.header["alg"] = "ES512" }), "", dpop.ErrProofAlgorithm},
		{"alg in another case", one(func(p *proof) { p.header["alg"] = "es256" }), "", dpop.ErrProofAlgorithm},
		{"jwk missing", one(func(p *proof) { delete(p.header, "jwk") }), "", dpop.ErrProofKey},
		{"jwk not an object", one(func(p *proof) { p.header["jwk"] = "key" }), "", dpop.ErrMalformedProof},
		{"jwk with d", one(func(p *proof) { p.jwkSet("d", "AAAA") }), "", dpop.ErrPrivateKey},
		{"EC x with a line break", one(func(p *proof) {
			x := p.header["jwk"].(map[string]any)["x"].(string)
			p.jwkSet("x", x[:10]+"\n"+x[10:])
		}), "", dpop.ErrProofKey},
		{"RSA n with a line break", one(func(p *proof) {
			p.with("RS256", rsaKey)
			n := p.header["jwk"].(map[string]any)["n"].(string)
			p.jwkSet("n", n[:10]+"\r\n"+n[10:])
		}), "", dpop.ErrProofKey},
		{"jwk with d null", one(func(p *proof) { p.header["jwk"].(map[string]any)["d"] = nil }), "", dpop.ErrPrivateKey},
		{"RSA jwk with p", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("p", "AAAA") }), "", dpop.ErrPrivateKey},
		{"RSA jwk with q", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("q", "AAAA") }), "", dpop.ErrPrivateKey},
		{"RSA jwk with dp", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("dp", "AAAA") }), "", dpop.ErrPrivateKey},
		{"RSA jwk with dq", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("dq", "AAAA") }), "", dpop.ErrPrivateKey},
		{"RSA jwk with qi", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("qi", "AAAA") }), "", dpop.ErrPrivateKey},
		{"RSA jwk with oth", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("oth", []any{}) }), "", dpop.ErrPrivateKey},
		{"symmetric jwk", one(func(p *proof) { p.header["jwk"] = map[string]any{"kty": "oct", "k": "c2VjcmV0"} }), "", dpop.ErrPrivateKey},
		{"kty unknown", one(func(p *proof) { p.jwkSet("kty", "XX") }), "", dpop.ErrProofKey},
		{"EC key for RS256", one(func(p *proof) { p.header["alg"] = "RS256" }), "", dpop.ErrProofKey},
		{"P-384 key for ES256", one(func(p *proof) { p.header["jwk"] = publicJWK(ec384) }), "", dpop.ErrProofKey},
		{"crv missing", one(func(p *proof) { p.jwkSet("crv", nil) }), "", dpop.ErrProofKey},
		{"x missing", one(func(p *proof) { p.jwkSet("x", nil) }), "", dpop.ErrProofKey},
		{"x short", one(func(p *proof) { p.jwkSet("x", p.header["jwk"].(map[string]any)["x"].(string)[1:]) }), "", dpop.ErrProofKey},
		{"point not on the curve", one(func(p *proof) { p.jwkSet("y", b64(make([]byte, 32))) }), "", dpop.ErrProofKey},
		{"EC jwk with n", one(func(p *proof) { p.jwkSet("n", "AQAB") }), "", dpop.ErrProofKey},
		{"RSA key of 1024 bits", one(func(p *proof) { p.with("RS256", weakRSA) }), "", dpop.ErrProofKey},
		{"RSA n with a leading zero", one(func(p *proof) {
			p.with("RS256", rsaKey).jwkSet("n", b64(append([]byte{0}, rsaKey.N.Bytes()...)))
		}), "", dpop.ErrProofKey},
		{"RSA e even", one(func(p *proof) { p.with("RS256", rsaKey).jwkSet("e", b64([]byte{1, 0, 0})) }), "", dpop.ErrProofKey},
		{"OKP key on X25519", one(func(p *proof) {
			p.header["alg"] = "EdDSA"
			p.header["jwk"] = map[string]any{"kty": "OKP", "crv": "X25519", "x": b64(make([]byte, 32))}
		}), "", dpop.ErrProofKey},
		{"claims not base64url", raw(func(_ *testing.T, h, c, s string) string { return h + ".*" + c[1:] + "." + s }), "", dpop.ErrMalformedProof},
		{"claims not JSON", raw(func(_ *testing.T, h, _, s string) string { return h + "." + b64([]byte(`{"jti":`)) + "." + s }), "", dpop.ErrMalformedProof},
		{"jti missing", one(func(p *proof) { delete(p.claims, "jti") }), "", dpop.ErrMalformedProof},
		{"jti empty", one(func(p *proof) { p.claims["jti"] = "" }), "", dpop.ErrMalformedProof},
		{"jti a number", one(func(p *proof) { p.claims["jti"] = 7 }), "", dpop.ErrMalformedProof},
		{"jti too long", one(func(p *proof) { p.claims["jti"] = strings.Repeat("j", 129) }), "", dpop.ErrMalformedProof},
		{"htm missing", one(func(p *proof) { delete(p.claims, "htm") }), "", dpop.ErrMalformedProof},
		{"htm POST", one(func(p *proof) { p.claims["htm"] = "POST" }), "", dpop.ErrMethodMismatch},
		{"htm lower case", one(func(p *proof) { p.claims["htm"] = "get" }), "", dpop.ErrMethodMismatch},
		{"htu missing", one(func(p *proof) { delete(p.claims, "htu") }), "", dpop.ErrMalformedProof},
		{"htu other host", one(func(p *proof) { p.claims["htu"] = "https://evil.example.com/orders" }), "", dpop.ErrURIMismatch},
		{"htu http", one(func(p *proof) { p.claims["htu"] = "http://api.example.com/orders" }), "", dpop.ErrURIMismatch},
		{"htu other port", one(func(p *proof) { p.claims["htu"] = "https://api.example.com:8443/orders" }), "", dpop.ErrURIMismatch},
		{"htu other path", one(func(p *proof) { p.claims["htu"] = "https://api.example.com/orders/1" }), "", dpop.ErrURIMismatch},
		{"htu path in another case", one(func(p *proof) { p.claims["htu"] = "https://api.example.com/Orders" }), "", dpop.ErrURIMismatch},
		{"htu relative", one(func(p *proof) { p.claims["htu"] = "/orders" }), "", dpop.ErrURIMismatch},
		{"htu with user information", one(func(p *proof) { p.claims["htu"] = "https://user@api.example.com/orders" }), "", dpop.ErrURIMismatch},
		{"htu bad percent-encoding", one(func(p *proof) { p.claims["htu"] = "https://api.example.com/orders%2" }), "", dpop.ErrURIMismatch},
		{"iat missing", one(func(p *proof) { delete(p.claims, "iat") }), "", dpop.ErrMalformedProof},
		{"iat a string", one(func(p *proof) { p.claims["iat"] = "1" }), "", dpop.ErrMalformedProof},
		{"iat 61 s old", one(func(p *proof) { p.claims["iat"] = t0.Unix() - 61 }), "", dpop.ErrProofExpired},
		{"iat 61 s ahead", one(func(p *proof) { p.claims["iat"] = t0.Unix() + 61 }), "", dpop.ErrProofExpired},
		{"iat huge", one(func(p *proof) { p.claims["iat"] = 1e300 }), "", dpop.ErrProofExpired},
		{"ath missing with a token", one(func(*proof) {}), token, dpop.ErrTokenHash},
		{"ath of another token", one(func(p *proof) { p.claims["ath"] = dpop.TokenHash("other") }), token, dpop.ErrTokenHash},
		{"ath not base64url of the hash", one(func(p *proof) { p.claims["ath"] = dpop.TokenHash(token) + "=" }), token, dpop.ErrTokenHash},
		{"signed by another key", one(func(p *proof) { p.key = otherEC }), "", dpop.ErrProofSignature},
		{"signature empty", raw(func(_ *testing.T, h, c, _ string) string { return h + "." + c + "." }), "", dpop.ErrProofSignature},
		{"signature not base64url", raw(func(_ *testing.T, h, c, s string) string { return h + "." + c + ".*" + s[1:] }), "", dpop.ErrProofSignature},
		{"signature of other claims", raw(func(t *testing.T, h, _, s string) string {
			p := newProof(t)
			p.claims["jti"] = "other"
			_, c := p.encode(t)
			return h + "." + c + "." + s
		}), "", dpop.ErrProofSignature},
		{"signature DER-encoded", raw(func(t *testing.T, h, c, _ string) string {
			sig, err := ec.Sign(rand.Reader, sha256Sum(h+"."+c), cryptoSHA256)
			require.NoError(t, err)
			return h + "." + c + "." + b64(sig)
		}), "", dpop.ErrProofSignature},
	}
	store := newCountingStore(t)
	v := newVerifier(t, dpop.Config{Replay: store})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), c.req(t), c.token)
			require.ErrorIs(t, err, c.want)
			assert.Equal(t, c.want, err, "the sentinel itself")
			assert.Equal(t, dpop.CodeInvalidProof, dpop.ErrorCode(err))
		})
	}
	assert.Zero(t, store.calls.Load(), "no refused proof reached the replay store")
}

// hmacSigner signs as HS256 with a fixed secret.
type hmacSigner struct{}

func (hmacSigner) Alg() string { return "HS256" }
func (hmacSigner) Verify(string, []byte, any) error {
	return errors.New("unused")
}
func (hmacSigner) Sign(s string, _ any) ([]byte, error) {
	return jwt.SigningMethodHS256.Sign(s, []byte("0123456789abcdef0123456789abcdef"))
}

func TestVerifyAccepts(t *testing.T) {
	ec, ec384, ed, rsaKey := keys(t)
	const token = "an-access-token"
	cases := []struct {
		name  string
		f     func(p *proof)
		token string
		req   func(proof string) *http.Request
	}{
		{"ES256", func(*proof) {}, "", nil},
		{"ES384", func(p *proof) { p.with("ES384", ec384) }, "", nil},
		{"EdDSA", func(p *proof) { p.with("EdDSA", ed) }, "", nil},
		{"RS256", func(p *proof) { p.with("RS256", rsaKey) }, "", nil},
		{"PS256", func(p *proof) { p.with("PS256", rsaKey) }, "", nil},
		{"typ with application/ in upper case", func(p *proof) { p.header["typ"] = "Application/DPoP+JWT" }, "", nil},
		{"extra header and jwk members", func(p *proof) { p.header["kid"] = "k1"; p.jwkSet("use", "sig").jwkSet("alg", "ES256") }, "", nil},
		{"ath with the token", func(p *proof) { p.claims["ath"] = dpop.TokenHash(token) }, token, nil},
		{"ath without a token", func(p *proof) { p.claims["ath"] = dpop.TokenHash(token) }, "", nil},
		{"iat 60 s old", func(p *proof) { p.claims["iat"] = t0.Unix() - 60 }, "", nil},
		{"iat 60 s ahead", func(p *proof) { p.claims["iat"] = t0.Unix() + 60 }, "", nil},
		{"iat with a fraction", func(p *proof) { p.claims["iat"] = float64(t0.Unix()) + 0.5 }, "", nil},
		{"htu with query and fragment", func(p *proof) { p.claims["htu"] = "https://api.example.com/orders?page=1#top" }, "", nil},
		{"htu in upper case with the default port", func(p *proof) { p.claims["htu"] = "HTTPS://API.Example.COM:443/orders" }, "", nil},
		{"htu with an empty port", func(p *proof) { p.claims["htu"] = "https://api.example.com:/orders" }, "", nil},
		{"htu with an encoded unreserved character", func(p *proof) { p.claims["htu"] = "https://api.example.com/%6Frders" }, "", nil},
		{"htu with dot segments", func(p *proof) { p.claims["htu"] = "https://api.example.com/a/../orders" }, "", nil},
		{"root path", func(p *proof) { p.claims["htu"] = "https://api.example.com" }, "", func(s string) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.com/", nil)
			r.Header.Set("DPoP", s)
			return r
		}},
		{"percent-encodings in either case", func(p *proof) { p.claims["htu"] = "https://api.example.com/a%2fb" }, "", func(s string) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.com/a%2Fb", nil)
			r.Header.Set("DPoP", s)
			return r
		}},
		{"plain http on a port", func(p *proof) { p.claims["htu"] = "http://127.0.0.1:8080/orders" }, "", func(s string) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/orders", nil)
			r.Header.Set("DPoP", s)
			return r
		}},
	}
	v := newVerifier(t, dpop.Config{Algorithms: []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProof(t)
			c.f(p)
			s := p.sign(t)
			r := request(s)
			if c.req != nil {
				r = c.req(s)
			}
			got, err := v.Verify(context.Background(), r, c.token)
			require.NoError(t, err)
			want, err := dpop.Thumbprint(p.key.Public())
			require.NoError(t, err)
			assert.Equal(t, want, got.Thumbprint)
			assert.Equal(t, p.claims["jti"], got.JTI)
			assert.Equal(t, p.header["alg"], got.Algorithm)
			assert.WithinDuration(t, t0, got.IssuedAt, time.Minute)
		})
	}
	_ = ec
}

// The binding to the token's key is checked before the signature, as the
// README's table orders them: a proof of another key is refused for that
// whatever its signature.
func TestKeyMismatchBeforeSignature(t *testing.T) {
	v := newVerifier(t, dpop.Config{})
	s := newProof(t).sign(t)
	s = s[:len(s)-4] + "AAAA"
	_, err := v.VerifyBound(context.Background(), request(s), "", "another-thumbprint")
	require.ErrorIs(t, err, dpop.ErrKeyMismatch)
	_, err = v.Verify(context.Background(), request(s), "")
	require.ErrorIs(t, err, dpop.ErrProofSignature)
}
