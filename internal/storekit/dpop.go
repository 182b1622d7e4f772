package storekit

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// NonceSecret keys the DPoP nonces of the tests.
var NonceSecret = []byte("nonce-secret-0123456789abcdef-0123456789")

// DPoPVerifier returns a DPoP verifier on the clock now, with nonces
// keyed by NonceSecret when nonce is set.
func DPoPVerifier(now func() time.Time, nonce bool) *dpop.Verifier {
	cfg := dpop.Config{Now: now}
	if nonce {
		cfg.Nonce = &dpop.NonceConfig{Secret: NonceSecret}
	}
	v, err := dpop.New(cfg)
	if err != nil {
		panic(err) // a constant configuration
	}
	return v
}

// NewSigner returns a DPoP signer of a new P-256 key.
func NewSigner(t testing.TB) *dpop.Signer {
	t.Helper()
	s, err := dpop.GenerateSigner()
	require.NoError(t, err)
	return s
}

// Proof signs, with s, a proof for a POST to uri issued at at; mod
// changes the request before it is signed.
func Proof(t testing.TB, s *dpop.Signer, uri string, at time.Time, mod ...func(*dpop.ProofRequest)) string {
	t.Helper()
	req := dpop.ProofRequest{Method: "POST", URI: uri, IssuedAt: at}
	for _, m := range mod {
		m(&req)
	}
	p, err := s.Sign(req)
	require.NoError(t, err)
	return p
}

// Claims decodes the claims of a JWT into v, without verifying it.
func Claims(t testing.TB, token string, v any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}
