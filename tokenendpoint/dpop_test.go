package tokenendpoint_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// tokenURI is the URI of the fixture's token endpoint as httptest.NewRequest
// addresses it: the htu of its proofs.
const tokenURI = "http://example.com/token"

// withDPoP configures a DPoP verifier on the fixture's clock, with nonces
// when nonce is set, and applies more to cfg.
func withDPoP(nonce bool, more ...func(*tokenendpoint.Config)) func(*tokenendpoint.Config) {
	return func(cfg *tokenendpoint.Config) {
		cfg.DPoP = storekit.DPoPVerifier(cfg.Now, nonce)
		for _, m := range more {
			m(cfg)
		}
	}
}

// proof signs a proof for a POST to the fixture's token endpoint.
func (f *tokenFixture) proof(t testing.TB, s *dpop.Signer, mod ...func(*dpop.ProofRequest)) string {
	t.Helper()
	return storekit.Proof(t, s, tokenURI, f.clock.Now(), mod...)
}

// credentialsForm is shop's client-credentials request.
var credentialsForm = url.Values{"grant_type": {tokenendpoint.GrantClientCredentials}, "client_id": {"shop"}, "client_secret": {shopSecret}}.Encode()

// jktOf returns the cnf.jkt claim of a token ("" for none) and whether it
// has a cnf claim.
func jktOf(t testing.TB, token string) (string, bool) {
	t.Helper()
	var c struct {
		Cnf *struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	storekit.Claims(t, token, &c)
	if c.Cnf == nil {
		return "", false
	}
	return c.Cnf.JKT, true
}

func TestDPoPBindsTokens(t *testing.T) {
	f := newTokenFixture(t, withDPoP(false))
	s := storekit.NewSigner(t)
	now := f.clock.Now()
	grants := map[string]func(proof string) *httptest.ResponseRecorder{
		"client_credentials": func(proof string) *httptest.ResponseRecorder {
			return f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", proof)
		},
		"jwt-bearer": func(proof string) *httptest.ResponseRecorder {
			body, _ := json.Marshal(map[string]string{"grant_type": tokenendpoint.GrantJWTBearer, "client_id": "shop",
				"assertion": jws(t, jwtHeader, claimsAt(now, "nk-"+rand.Text()), shopKey)})
			return f.post("application/json", string(body), "DPoP", proof)
		},
	}
	for name, grant := range grants {
		t.Run(name, func(t *testing.T) {
			w := grant(f.proof(t, s))
			tok := decodeToken(t, w)
			assert.Equal(t, "DPoP", tok.TokenType)
			jkt, ok := jktOf(t, tok.AccessToken)
			require.True(t, ok, "cnf claim")
			assert.Equal(t, s.Thumbprint(), jkt)
			assert.Empty(t, w.Header().Get("DPoP-Nonce"), "no nonces configured")
		})
	}

	t.Run("no proof: a bearer token", func(t *testing.T) {
		tok := decodeToken(t, f.post("application/x-www-form-urlencoded", credentialsForm))
		assert.Equal(t, "Bearer", tok.TokenType)
		_, ok := jktOf(t, tok.AccessToken)
		assert.False(t, ok, "no cnf claim")
	})

	t.Run("without Config.DPoP the header is ignored", func(t *testing.T) {
		plain := newTokenFixture(t)
		tok := decodeToken(t, plain.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", plain.proof(t, s)))
		assert.Equal(t, "Bearer", tok.TokenType)
		_, ok := jktOf(t, tok.AccessToken)
		assert.False(t, ok)
	})
}

func TestDPoPRefusedProofs(t *testing.T) {
	f := newTokenFixture(t, withDPoP(false))
	s := storekit.NewSigner(t)
	replayed := f.proof(t, s)
	decodeToken(t, f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", replayed))

	cases := []struct {
		name  string
		proof string
		err   error
	}{
		{"malformed", "not-a-jwt", dpop.ErrMalformedProof},
		{"empty", "", dpop.ErrMissingProof},
		{"another method", f.proof(t, s, func(r *dpop.ProofRequest) { r.Method = "GET" }), dpop.ErrMethodMismatch},
		{"another URI", f.proof(t, s, func(r *dpop.ProofRequest) { r.URI = "http://example.com/other" }), dpop.ErrURIMismatch},
		{"stale", f.proof(t, s, func(r *dpop.ProofRequest) { r.IssuedAt = f.clock.Now().Add(-time.Hour) }), dpop.ErrProofExpired},
		{"with an access token hash", f.proof(t, s, func(r *dpop.ProofRequest) { r.AccessToken = "x" }), nil},
		{"replayed", replayed, dpop.ErrReplayed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(f.audit.All())
			w := f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", c.proof)
			if c.err == nil {
				// An ath is not checked without an access token: the
				// proof is valid for a token request.
				assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
				return
			}
			require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			code, _ := oauthError(t, w)
			assert.Equal(t, "invalid_dpop_proof", code)
			assert.Empty(t, w.Header().Get("DPoP-Nonce"))
			require.Len(t, f.audit.All(), before+1)
			ref, _ := dpop.RefusalFor(c.err)
			assert.Equal(t, ref.Reason, f.audit.Last().Reason)
		})
	}

	t.Run("several DPoP headers", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/token", strings.NewReader(credentialsForm))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Add("DPoP", f.proof(t, s))
		r.Header.Add("DPoP", f.proof(t, s))
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		require.Equal(t, http.StatusBadRequest, w.Code)
		code, _ := oauthError(t, w)
		assert.Equal(t, "invalid_dpop_proof", code)
	})

	t.Run("replay store down: 503", func(t *testing.T) {
		g := newTokenFixture(t, func(cfg *tokenendpoint.Config) {
			v, err := dpop.New(dpop.Config{Now: cfg.Now, Replay: failingReplay{}})
			require.NoError(t, err)
			cfg.DPoP = v
		})
		w := g.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", g.proof(t, s))
		require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
		code, _ := oauthError(t, w)
		assert.Equal(t, "temporarily_unavailable", code)
		assert.NotContains(t, w.Body.String(), "redis")
	})
}

func TestDPoPNonce(t *testing.T) {
	f := newTokenFixture(t, withDPoP(true))
	s := storekit.NewSigner(t)

	w := f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", f.proof(t, s))
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	code, _ := oauthError(t, w)
	assert.Equal(t, "use_dpop_nonce", code)
	nonce := w.Header().Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)

	w = f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", f.proof(t, s, func(r *dpop.ProofRequest) { r.Nonce = "stale" + nonce[5:] }))
	require.Equal(t, http.StatusBadRequest, w.Code)
	code, _ = oauthError(t, w)
	assert.Equal(t, "use_dpop_nonce", code, "a foreign nonce")
	assert.Equal(t, nonce, w.Header().Get("DPoP-Nonce"))

	w = f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", f.proof(t, s, func(r *dpop.ProofRequest) { r.Nonce = nonce }))
	tok := decodeToken(t, w)
	assert.Equal(t, "DPoP", tok.TokenType)
	jkt, _ := jktOf(t, tok.AccessToken)
	assert.Equal(t, s.Thumbprint(), jkt)
	assert.Empty(t, w.Header().Get("DPoP-Nonce"), "the client's nonce is current")

	// A period later the nonce is still accepted, and the answer carries
	// the new one.
	f.clock.Add(5 * time.Minute)
	w = f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", f.proof(t, s, func(r *dpop.ProofRequest) { r.Nonce = nonce }))
	decodeToken(t, w)
	fresh := w.Header().Get("DPoP-Nonce")
	assert.NotEmpty(t, fresh)
	assert.NotEqual(t, nonce, fresh)

	t.Run("no proof: a bearer token, no nonce", func(t *testing.T) {
		w := f.post("application/x-www-form-urlencoded", credentialsForm)
		assert.Equal(t, "Bearer", decodeToken(t, w).TokenType)
		assert.Empty(t, w.Header().Get("DPoP-Nonce"))
	})
}

func TestDPoPRequired(t *testing.T) {
	t.Run("RequireDPoP needs DPoP", func(t *testing.T) {
		clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
		require.NoError(t, err)
		_, err = tokenendpoint.New(tokenendpoint.Config{Issuer: "i", Key: tokenendpoint.SigningKey{Key: testSecret}, Clients: clients, RequireDPoP: true})
		assert.ErrorIs(t, err, tokenendpoint.ErrConfig)
		assert.ErrorContains(t, err, "RequireDPoP")
	})

	t.Run("by the endpoint", func(t *testing.T) {
		f := newTokenFixture(t, withDPoP(false, func(cfg *tokenendpoint.Config) { cfg.RequireDPoP = true }))
		w := f.post("application/x-www-form-urlencoded", credentialsForm)
		require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		code, _ := oauthError(t, w)
		assert.Equal(t, "invalid_dpop_proof", code)
		assert.Equal(t, dpop.ReasonMissingProof, f.audit.Last().Reason)
		assert.Zero(t, f.throttle.Count(clientKey("shop")), "no client authentication was attempted")
		s := storekit.NewSigner(t)
		assert.Equal(t, "DPoP", decodeToken(t, f.post("application/x-www-form-urlencoded", credentialsForm, "DPoP", f.proof(t, s))).TokenType)
	})

	t.Run("by the client", func(t *testing.T) {
		clients, err := tokenendpoint.NewMemoryClients(append([]tokenendpoint.Client{{
			ID: "bound", SecretHash: tokenendpoint.HashClientSecret(shopSecret), RequireDPoP: true,
		}}, tokenClients...)...)
		require.NoError(t, err)
		f := newTokenFixture(t, withDPoP(false, func(cfg *tokenendpoint.Config) { cfg.Clients = clients }))
		bound := url.Values{"grant_type": {tokenendpoint.GrantClientCredentials}, "client_id": {"bound"}, "client_secret": {shopSecret}}.Encode()

		w := f.post("application/x-www-form-urlencoded", bound)
		require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		code, _ := oauthError(t, w)
		assert.Equal(t, "invalid_dpop_proof", code)
		assert.Equal(t, "bound", f.audit.Last().Subject, "refused after the client authenticated")

		s := storekit.NewSigner(t)
		tok := decodeToken(t, f.post("application/x-www-form-urlencoded", bound, "DPoP", f.proof(t, s)))
		assert.Equal(t, "DPoP", tok.TokenType)
		assert.Equal(t, "Bearer", decodeToken(t, f.post("application/x-www-form-urlencoded", credentialsForm)).TokenType, "other clients may still get bearer tokens")

		w = f.post("application/x-www-form-urlencoded", strings.Replace(bound, "client_secret=", "client_secret=wrong", 1))
		assert.Equal(t, http.StatusUnauthorized, w.Code, "a wrong secret is invalid_client first")
	})
}

// TestDPoPTransportEndToEnd has a dpop.Transport client get a DPoP-bound
// token from the endpoint over a real loopback server with nonces on: the
// first request is answered use_dpop_nonce, the Transport retries with
// the nonce, and the token is bound to its key.
func TestDPoPTransportEndToEnd(t *testing.T) {
	clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	v, err := dpop.New(dpop.Config{Nonce: &dpop.NonceConfig{Secret: storekit.NonceSecret}})
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "https://rewards.example", Key: tokenendpoint.SigningKey{Key: testSecret},
		Clients: clients, DPoP: v, RequireDPoP: true,
	})
	require.NoError(t, err)
	var calls int
	mux.Handle("POST /oauth/token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		ep.ServeHTTP(w, r)
	}))

	s := storekit.NewSigner(t)
	client := &http.Client{Transport: &dpop.Transport{Signer: s}, Timeout: 10 * time.Second}
	req, err := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader(credentialsForm))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	assert.Equal(t, "DPoP", tok.TokenType)
	jkt, ok := jktOf(t, tok.AccessToken)
	require.True(t, ok)
	assert.Equal(t, s.Thumbprint(), jkt)
	assert.Equal(t, 2, calls, "one use_dpop_nonce round trip, then the token")

	// The token at an API that accepts it with DPoP: through the same
	// Transport it works, as a bearer token it does not.
	bc := ep.BearerConfig(nil)
	bc.DPoP = bearer.DPoP{Mode: bearer.DPoPAllowed, Verifier: v}
	auth, err := bearer.New(bc)
	require.NoError(t, err)
	mux.Handle("GET /api/orders", auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_, _ = w.Write([]byte(p.Confirmation.JKT))
	})))
	api := &http.Client{Timeout: 10 * time.Second, Transport: &dpop.Transport{
		Signer: s, Token: func(context.Context) (string, error) { return tok.AccessToken, nil },
	}}
	res, err := api.Get(srv.URL + "/api/orders")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Equal(t, s.Thumbprint(), string(body))
	stolen, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/orders", nil)
	stolen.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(stolen)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "the bound token without its key")
}
