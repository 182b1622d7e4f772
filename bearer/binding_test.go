package bearer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
)

var bindingSecret = []byte("0123456789abcdef0123456789abcdef-binding")

const bindingURL = "https://api.example.com/orders"

// boundToken returns an HS256 access token with cnf as its "cnf" claim
// (none when nil).
func boundToken(t testing.TB, cnf any) string {
	t.Helper()
	c := jwt.MapClaims{"iss": "https://issuer.test", "sub": "u1", "jti": "j1", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	if cnf != nil {
		c["cnf"] = cnf
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(bindingSecret)
	require.NoError(t, err)
	return s
}

// newSigner returns a DPoP signer with a fresh P-256 key.
func newDPoPSigner(t testing.TB) *dpop.Signer {
	t.Helper()
	s, err := dpop.GenerateSigner()
	require.NoError(t, err)
	return s
}

// dpopAuth builds an Authenticator over the HS256 test issuer in mode,
// with a verifier whose replay store is replay (a new one when nil).
func dpopAuth(t testing.TB, mode bearer.DPoPMode, replay dpop.ReplayStore, nonce *dpop.NonceConfig) *bearer.Authenticator {
	t.Helper()
	v, err := dpop.New(dpop.Config{Replay: replay, Nonce: nonce, Origin: "https://api.example.com"})
	require.NoError(t, err)
	a, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: bindingSecret}}}},
		DPoP:       bearer.DPoP{Mode: mode, Verifier: v},
		CacheSize:  nil,
	})
	require.NoError(t, err)
	return a
}

// dpopRequest returns a request presenting tok with scheme, and proof as
// its DPoP header when not empty.
func dpopRequest(scheme, tok, proof string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, bindingURL, nil)
	r.Header.Set("Authorization", scheme+" "+tok)
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return r
}

func proofFor(t testing.TB, s *dpop.Signer, method, uri, tok string) string {
	t.Helper()
	p, err := s.Sign(dpop.ProofRequest{Method: method, URI: uri, AccessToken: tok})
	require.NoError(t, err)
	return p
}

// serveBound runs r through a's middleware and returns the response and
// the Principal the handler saw.
func serveBound(a *bearer.Authenticator, r *http.Request) (*httptest.ResponseRecorder, gatehouse.Principal) {
	var p gatehouse.Principal
	w := httptest.NewRecorder()
	a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ = gatehouse.PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(w, r)
	return w, p
}

// TestDPoP: one defect per case, with the token served from the cache
// after its first request, so every case also shows that the proof is
// checked on cache hits.
func TestDPoP(t *testing.T) {
	key, other := newDPoPSigner(t), newDPoPSigner(t)
	bound := boundToken(t, map[string]any{"jkt": key.Thumbprint()})
	plain := boundToken(t, nil)
	a := dpopAuth(t, bearer.DPoPAllowed, nil, nil)

	// The first request verifies and caches the token.
	w, p := serveBound(a, dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, bound)))
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	assert.Equal(t, key.Thumbprint(), p.Confirmation.JKT)

	replayed := proofFor(t, key, "GET", bindingURL, bound)
	w, _ = serveBound(a, dpopRequest("DPoP", bound, replayed))
	require.Equal(t, http.StatusNoContent, w.Code)

	for name, tc := range map[string]struct {
		r          *http.Request
		want       error
		status     int
		challenges string
	}{
		"replayed proof":                      {dpopRequest("DPoP", bound, replayed), dpop.ErrReplayed, 401, `DPoP realm="api", error="invalid_dpop_proof"`},
		"no proof":                            {dpopRequest("DPoP", bound, ""), dpop.ErrMissingProof, 401, `DPoP realm="api", error="invalid_dpop_proof"`},
		"another key":                         {dpopRequest("DPoP", bound, proofFor(t, other, "GET", bindingURL, bound)), dpop.ErrKeyMismatch, 401, ""},
		"another method":                      {dpopRequest("DPoP", bound, proofFor(t, key, "POST", bindingURL, bound)), dpop.ErrMethodMismatch, 401, ""},
		"another URI":                         {dpopRequest("DPoP", bound, proofFor(t, key, "GET", "https://api.example.com/other", bound)), dpop.ErrURIMismatch, 401, ""},
		"another token's hash":                {dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, plain)), dpop.ErrTokenHash, 401, ""},
		"unbound token with DPoP":             {dpopRequest("DPoP", plain, proofFor(t, key, "GET", bindingURL, plain)), dpop.ErrKeyMismatch, 401, ""},
		"bound token as Bearer":               {dpopRequest("Bearer", bound, ""), bearer.ErrBoundToken, 401, `Bearer realm="api", error="invalid_token"`},
		"bound token as Bearer, with a proof": {dpopRequest("Bearer", bound, proofFor(t, key, "GET", bindingURL, bound)), bearer.ErrBoundToken, 401, ""},
		"malformed cnf":                       {dpopRequest("Bearer", boundToken(t, "jkt"), ""), bearer.ErrBoundToken, 401, ""},
		"unknown cnf":                         {dpopRequest("Bearer", boundToken(t, map[string]any{"jwk": map[string]any{}}), ""), bearer.ErrBoundToken, 401, ""},
		"two DPoP headers": {func() *http.Request {
			r := dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, bound))
			r.Header.Add("DPoP", proofFor(t, key, "GET", bindingURL, bound))
			return r
		}(), dpop.ErrMultipleProofs, 401, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Check(tc.r)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			w, _ := serveBound(a, tc.r)
			assert.Equal(t, tc.status, w.Code)
			ch := w.Header().Get("WWW-Authenticate")
			assert.Contains(t, ch, `algs="ES256 ES384 EdDSA PS256 RS256"`, "the DPoP challenge is always there in DPoPAllowed")
			assert.Contains(t, ch, `Bearer realm="api"`, "so is the Bearer one")
			assert.Contains(t, ch, tc.challenges)
		})
	}

	w, _ = serveBound(a, dpopRequest("Bearer", plain, ""))
	assert.Equal(t, http.StatusNoContent, w.Code, "an unbound token is still a bearer token in DPoPAllowed")
}

// TestDPoPBoundToMore: a token bound to a DPoP key and to something
// bearer cannot check as well (RFC 7800's "jwk", "kid") is refused even
// with a valid proof of the key: a binding is never ignored.
func TestDPoPBoundToMore(t *testing.T) {
	key := newDPoPSigner(t)
	a := dpopAuth(t, bearer.DPoPAllowed, nil, nil)
	for name, cnf := range map[string]map[string]any{
		"jwk": {"jkt": key.Thumbprint(), "jwk": map[string]any{"kty": "EC"}},
		"kid": {"jkt": key.Thumbprint(), "kid": "k2"},
	} {
		tok := boundToken(t, cnf)
		_, err := a.Check(dpopRequest("DPoP", tok, proofFor(t, key, "GET", bindingURL, tok)))
		assert.ErrorIs(t, err, bearer.ErrBoundToken, name)
		w, _ := serveBound(a, dpopRequest("DPoP", tok, proofFor(t, key, "GET", bindingURL, tok)))
		assert.Equal(t, http.StatusUnauthorized, w.Code, name)
	}
	tok := boundToken(t, map[string]any{"jkt": key.Thumbprint()})
	w, _ := serveBound(a, dpopRequest("DPoP", tok, proofFor(t, key, "GET", bindingURL, tok)))
	assert.Equal(t, http.StatusNoContent, w.Code, "jkt alone")
}

// TestDPoPModes: Off treats the scheme as another one and still refuses
// bound tokens; Required refuses bearer tokens.
func TestDPoPModes(t *testing.T) {
	key := newDPoPSigner(t)
	bound := boundToken(t, map[string]any{"jkt": key.Thumbprint()})
	plain := boundToken(t, nil)

	off := dpopAuth(t, bearer.DPoPOff, nil, nil)
	w, _ := serveBound(off, dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, bound)))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `Bearer realm="api"`, w.Header().Get("WWW-Authenticate"), "DPoP is another scheme")
	_, err := off.Check(dpopRequest("Bearer", bound, ""))
	assert.ErrorIs(t, err, bearer.ErrBoundToken, "a bound token is never a bearer token")

	req := dpopAuth(t, bearer.DPoPRequired, nil, nil)
	w, _ = serveBound(req, dpopRequest("Bearer", plain, ""))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `DPoP realm="api", algs="ES256 ES384 EdDSA PS256 RS256"`, w.Header().Get("WWW-Authenticate"))
	w, _ = serveBound(req, dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, bound)))
	assert.Equal(t, http.StatusNoContent, w.Code)

	w, _ = serveBound(req, dpopRequest("DPoP", "x.y.z", proofFor(t, key, "GET", bindingURL, "x.y.z")))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `DPoP realm="api", error="invalid_token", error_description="Invalid access token", algs="ES256 ES384 EdDSA PS256 RS256"`,
		w.Header().Get("WWW-Authenticate"), "a bad token in the DPoP scheme gets the DPoP challenge")

	_, err = bearer.New(bearer.Config{Tokens: bearer.NewMemoryTokens(), DPoP: bearer.DPoP{Mode: bearer.DPoPAllowed}})
	assert.ErrorIs(t, err, bearer.ErrConfig, "a mode without a verifier")
}

// TestDPoPReplayAcrossInstances: two Authenticators sharing one replay
// store refuse a proof the other accepted.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	store, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{})
	require.NoError(t, err)
	one, two := dpopAuth(t, bearer.DPoPAllowed, store, nil), dpopAuth(t, bearer.DPoPAllowed, store, nil)
	key := newDPoPSigner(t)
	bound := boundToken(t, map[string]any{"jkt": key.Thumbprint()})
	proof := proofFor(t, key, "GET", bindingURL, bound)
	w, _ := serveBound(one, dpopRequest("DPoP", bound, proof))
	require.Equal(t, http.StatusNoContent, w.Code)
	_, err = two.Check(dpopRequest("DPoP", bound, proof))
	assert.ErrorIs(t, err, dpop.ErrReplayed)
}

// TestDPoPNonceWithTransport: the server asks for a nonce; dpop.Transport
// retries once with it, in one call of the client.
func TestDPoPNonceWithTransport(t *testing.T) {
	a := dpopAuth(t, bearer.DPoPAllowed, nil, &dpop.NonceConfig{Secret: []byte("a nonce secret of at least 32 bytes!")})
	calls := 0
	key := newDPoPSigner(t)
	bound := boundToken(t, map[string]any{"jkt": key.Thumbprint()})

	// Without the Transport: a 401 use_dpop_nonce with a DPoP-Nonce.
	r := dpopRequest("DPoP", bound, proofFor(t, key, "GET", bindingURL, bound))
	w, _ := serveBound(a, r)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="use_dpop_nonce"`)
	nonce := w.Header().Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)
	p, err := key.Sign(dpop.ProofRequest{Method: "GET", URI: bindingURL, AccessToken: bound, Nonce: nonce})
	require.NoError(t, err)
	w, _ = serveBound(a, dpopRequest("DPoP", bound, p))
	assert.Equal(t, http.StatusNoContent, w.Code, "the proof with the nonce")

	// With the Transport, against a server whose public origin is its
	// own URL.
	v, err := dpop.New(dpop.Config{Nonce: &dpop.NonceConfig{Secret: []byte("a nonce secret of at least 32 bytes!")}})
	require.NoError(t, err)
	b, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: bindingSecret}}}},
		DPoP:       bearer.DPoP{Mode: bearer.DPoPRequired, Verifier: v},
	})
	require.NoError(t, err)
	api := httptest.NewServer(b.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_, _ = w.Write([]byte(p.Confirmation.JKT))
	})))
	defer api.Close()
	client := &http.Client{Transport: &dpop.Transport{Signer: key, Token: func(context.Context) (string, error) { return bound, nil }}}
	resp, err := client.Get(api.URL + "/orders?page=2")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, calls, "the handler ran once, after the nonce retry")
}

// TestCertificateBound: a token bound to a certificate needs that
// certificate, from the TLS connection or forwarded by a trusted proxy.
func TestCertificateBound(t *testing.T) {
	cert, otherCert := selfSigned(t), selfSigned(t)
	sum := sha256.Sum256(cert.Raw)
	tok := boundToken(t, map[string]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])})
	a, err := bearer.New(bearer.Config{
		Algorithms:       []string{"HS256"},
		Issuers:          []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: bindingSecret}}}},
		ClientCertHeader: "Client-Cert",
	})
	require.NoError(t, err)
	withTLS := func(c *x509.Certificate) *http.Request {
		r := dpopRequest("Bearer", tok, "")
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}}
		return r
	}
	forwarded := func(c *x509.Certificate, trusted bool) *http.Request {
		r := dpopRequest("Bearer", tok, "")
		r.Header.Set("Client-Cert", ":"+base64.StdEncoding.EncodeToString(c.Raw)+":")
		if trusted {
			r = r.WithContext(gatehouse.WithTrustedPeer(r.Context()))
		}
		return r
	}
	p, err := a.Check(withTLS(cert))
	require.NoError(t, err)
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), p.Confirmation.X5TS256)
	_, err = a.Check(forwarded(cert, true))
	assert.NoError(t, err, "forwarded by a trusted proxy")
	unpadded := forwarded(cert, true)
	unpadded.Header.Set("Client-Cert", ":"+base64.RawStdEncoding.EncodeToString(cert.Raw)+":")
	_, err = a.Check(unpadded)
	assert.NoError(t, err, "without padding (RFC 8941 §4.2.7)")
	viaMTLSProxy := forwarded(cert, true)
	viaMTLSProxy.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{otherCert}}
	_, err = a.Check(viaMTLSProxy)
	assert.NoError(t, err, "a trusted proxy's own certificate is not the client's")

	for name, r := range map[string]*http.Request{
		"another certificate":     withTLS(otherCert),
		"no certificate":          dpopRequest("Bearer", tok, ""),
		"forwarded by the client": forwarded(cert, false),
		"forwarded, another":      forwarded(otherCert, true),
		"forwarded, not RFC 9440": func() *http.Request {
			r := forwarded(cert, true)
			r.Header.Set("Client-Cert", base64.StdEncoding.EncodeToString(cert.Raw))
			return r
		}(),
		"forwarded twice": func() *http.Request { r := forwarded(cert, true); r.Header.Add("Client-Cert", ":AA==:"); return r }(),
	} {
		_, err := a.Check(r)
		assert.ErrorIs(t, err, bearer.ErrCertificate, name)
	}
}

func selfSigned(t testing.TB) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// TestDPoPMetadata: the protected-resource metadata of an Authenticator
// with DPoP required names the proof algorithms and the requirement.
func TestDPoPMetadata(t *testing.T) {
	v, err := dpop.New(dpop.Config{Algorithms: []string{"ES256", "EdDSA"}})
	require.NoError(t, err)
	cfg := bearer.Config{
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: bindingSecret}}}},
		DPoP:       bearer.DPoP{Mode: bearer.DPoPRequired, Verifier: v},
		Metadata:   bearer.ResourceMetadata{Resource: "https://api.example.com"},
	}
	a, err := bearer.New(cfg)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	a.MetadataHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, cfg.Metadata.Path(), nil))
	assert.JSONEq(t, `{"resource":"https://api.example.com","authorization_servers":["https://issuer.test"],
		"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["ES256","EdDSA"],
		"dpop_bound_access_tokens_required":true}`, w.Body.String())

	cfg.Metadata.DPoPSigningAlgValuesSupported = []string{"HS256", "ES256", "ES256"}
	_, err = bearer.New(cfg)
	assert.ErrorIs(t, err, bearer.ErrConfig)
}
