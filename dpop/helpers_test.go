package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// t0 is the tests' clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

var (
	keysOnce sync.Once
	ecKey    *ecdsa.PrivateKey
	ec384Key *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	rsaKey   *rsa.PrivateKey
)

// keys returns the tests' keys, generated once.
func keys(t testing.TB) (*ecdsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err == nil {
			ec384Key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		}
		if err == nil {
			_, edKey, err = ed25519.GenerateKey(rand.Reader)
		}
		if err == nil {
			rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			panic(err)
		}
	})
	return ecKey, ec384Key, edKey, rsaKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns the public JWK members of key.
func publicJWK(key crypto.Signer) map[string]any {
	switch k := key.Public().(type) {
	case *ecdsa.PublicKey:
		raw, _ := k.Bytes()
		size := (len(raw) - 1) / 2
		return map[string]any{"kty": "EC", "crv": k.Curve.Params().Name, "x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	panic("key type")
}

// proof is a proof under construction: header and claims as maps, so
// that a test can break any one thing, and the key and method that sign
// it.
type proof struct {
	header map[string]any
	claims map[string]any
	key    crypto.Signer
	method jwt.SigningMethod
}

// newProof returns a valid proof, signed with ES256 by the P-256 test key,
// for GET https://api.example.com/orders at t0.
func newProof(t testing.TB) *proof {
	ec, _, _, _ := keys(t)
	return &proof{
		header: map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": publicJWK(ec)},
		claims: map[string]any{"jti": "jti-" + rand.Text(), "htm": "GET", "htu": "https://api.example.com/orders", "iat": t0.Unix()},
		key:    ec,
		method: jwt.SigningMethodES256,
	}
}

// with sets the algorithm and key.
func (p *proof) with(alg string, key crypto.Signer) *proof {
	p.header["alg"], p.header["jwk"], p.key, p.method = alg, publicJWK(key), key, jwt.GetSigningMethod(alg)
	return p
}

// jwkSet sets (or, for nil, deletes) a member of the header's jwk.
func (p *proof) jwkSet(name string, v any) *proof {
	m := p.header["jwk"].(map[string]any)
	if v == nil {
		delete(m, name)
	} else {
		m[name] = v
	}
	return p
}

func (p *proof) encode(t testing.TB) (string, string) {
	t.Helper()
	hb, err := json.Marshal(p.header)
	require.NoError(t, err)
	cb, err := json.Marshal(p.claims)
	require.NoError(t, err)
	return b64(hb), b64(cb)
}

// sign returns the compact proof.
func (p *proof) sign(t testing.TB) string {
	t.Helper()
	h, c := p.encode(t)
	sig, err := p.method.Sign(h+"."+c, p.key)
	require.NoError(t, err)
	return h + "." + c + "." + b64(sig)
}

// request returns GET https://api.example.com/orders?page=2 as a server
// receives it behind TLS, with the given DPoP header values.
func request(proofs ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://api.example.com/orders?page=2", nil)
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

// newVerifier returns a Verifier on the tests' clock, with cfg's other
// fields.
func newVerifier(t testing.TB, cfg dpop.Config) *dpop.Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	v, err := dpop.New(cfg)
	require.NoError(t, err)
	return v
}

const cryptoSHA256 = crypto.SHA256

func sha256Sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// timeNow is the wall clock, for tests over real HTTP whose clients sign
// with it.
func timeNow() time.Time { return time.Now() }
