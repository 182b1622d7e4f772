package dpop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// opaqueSigner hides the concrete key type, as a hardware key would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, opts)
}

func TestSignerRoundTrip(t *testing.T) {
	ec, ec384, ed, rsaKey := keys(t)
	ec521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	all := []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	v := newVerifier(t, dpop.Config{Algorithms: all})
	cases := []struct {
		key     crypto.Signer
		alg     string
		wantAlg string
	}{
		{ec, "", "ES256"}, {ec384, "", "ES384"}, {ec521, "", "ES512"}, {ed, "", "EdDSA"}, {rsaKey, "", "PS256"},
		{opaqueSigner{ec}, "", "ES256"}, {opaqueSigner{ec521}, "ES512", "ES512"}, {opaqueSigner{rsaKey}, "RS256", "RS256"},
		{rsaKey, "RS384", "RS384"}, {rsaKey, "RS512", "RS512"}, {rsaKey, "PS384", "PS384"}, {rsaKey, "PS512", "PS512"},
	}
	for _, c := range cases {
		t.Run(c.wantAlg, func(t *testing.T) {
			s, err := dpop.NewSigner(c.key, c.alg)
			require.NoError(t, err)
			assert.Equal(t, c.wantAlg, s.Algorithm())
			want, err := dpop.Thumbprint(c.key.Public())
			require.NoError(t, err)
			assert.Equal(t, want, s.Thumbprint())

			proof, err := s.Sign(dpop.ProofRequest{Method: "POST", URI: "https://api.example.com/orders?x=1#f", AccessToken: "tok", IssuedAt: t0})
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodPost, "https://api.example.com/orders", nil)
			r.Header.Set("DPoP", proof)
			p, err := v.Verify(context.Background(), r, "tok")
			require.NoError(t, err)
			assert.Equal(t, want, p.Thumbprint)
			assert.Equal(t, c.wantAlg, p.Algorithm)
			assert.Len(t, p.JTI, 26, "a random jti")
		})
	}
}

func TestSignerClaims(t *testing.T) {
	ec, _, _, _ := keys(t)
	s, err := dpop.NewSigner(ec, "ES256")
	require.NoError(t, err)
	proof, err := s.Sign(dpop.ProofRequest{Method: "GET", URI: "https://api.example.com/orders", JTI: "fixed", Nonce: "n-1", IssuedAt: t0})
	require.NoError(t, err)
	v := newVerifier(t, dpop.Config{})
	p, err := v.Verify(context.Background(), request(proof), "")
	require.NoError(t, err)
	assert.Equal(t, dpop.Proof{Thumbprint: s.Thumbprint(), JTI: "fixed", IssuedAt: t0, Algorithm: "ES256", Nonce: "n-1"}, p)

	_, err = s.Sign(dpop.ProofRequest{Method: "GET"})
	assert.Error(t, err, "no URI")
}

func TestNewSignerRefuses(t *testing.T) {
	ec, ec384, ed, rsaKey := keys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	cases := []struct {
		name string
		key  crypto.Signer
		alg  string
	}{
		{"nil key", nil, ""},
		{"P-256 key for ES384", ec, "ES384"},
		{"P-384 key for ES256", ec384, "ES256"},
		{"P-224 key", p224, ""},
		{"EC key for RS256", ec, "RS256"},
		{"Ed25519 key for ES256", ed, "ES256"},
		{"RSA key for EdDSA", rsaKey, "EdDSA"},
		{"RSA key for HS256", rsaKey, "HS256"},
		{"RSA key of 1024 bits", weak, ""},
		{"unknown algorithm", ec, "ES257"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := dpop.NewSigner(c.key, c.alg)
			assert.ErrorIs(t, err, dpop.ErrKeyType)
		})
	}
	_, err = dpop.Thumbprint("not a key")
	assert.ErrorIs(t, err, dpop.ErrKeyType)
	_, err = dpop.Thumbprint(&p224.PublicKey)
	assert.ErrorIs(t, err, dpop.ErrKeyType)
	a, err := dpop.Thumbprint(ec)
	require.NoError(t, err)
	b, err := dpop.Thumbprint(&ec.PublicKey)
	require.NoError(t, err)
	assert.Equal(t, a, b, "a private key's thumbprint is its public key's")
}

func TestGenerateSigner(t *testing.T) {
	a, err := dpop.GenerateSigner()
	require.NoError(t, err)
	b, err := dpop.GenerateSigner()
	require.NoError(t, err)
	assert.Equal(t, "ES256", a.Algorithm())
	assert.NotEqual(t, a.Thumbprint(), b.Thumbprint(), "a new key each time")
}
