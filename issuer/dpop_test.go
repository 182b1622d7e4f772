package issuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"github.com/gatehouse-go/gatehouse/issuer"
)

// The URIs of the fixture's handlers as httptest.NewRequest addresses
// them: the htu of their proofs.
const (
	loginURI   = "http://example.com/auth/login"
	refreshURI = "http://example.com/auth/refresh"
)

// demoLogin is the demo account's login body; it logs in from 127.0.0.2,
// the address its allowlist admits.
const demoLogin = `{"username":"demo","password":"` + demoPassword + `"}`

// withDPoP configures a DPoP verifier on the fixture's clock (with nonces
// when nonce is set) and OAuth-style errors.
func withDPoP(nonce bool) func(*issuer.Config) {
	return func(cfg *issuer.Config) {
		cfg.DPoP = storekit.DPoPVerifier(cfg.Now, nonce)
		cfg.Style = envelope.OAuth
	}
}

// proof signs a proof for a POST to uri at the fixture's time.
func (f *fixture) proof(t testing.TB, s *dpop.Signer, uri string, mod ...func(*dpop.ProofRequest)) string {
	t.Helper()
	return storekit.Proof(t, s, uri, f.clock.Now(), mod...)
}

// boundPair is a login or refresh answer that may carry a token_type.
type boundPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

func decodeBound(t testing.TB, w *httptest.ResponseRecorder) boundPair {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var b struct {
		Data boundPair `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b))
	return b.Data
}

// accessClaims returns the cnf.jkt ("" for no cnf) and sid of a token.
func accessClaims(t testing.TB, token string) (jkt, sid string) {
	t.Helper()
	var c struct {
		Cnf *struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
		SID string `json:"sid"`
	}
	storekit.Claims(t, token, &c)
	if c.Cnf != nil {
		require.NotEmpty(t, c.Cnf.JKT, "a cnf claim has a jkt")
		jkt = c.Cnf.JKT
	}
	return jkt, c.SID
}

// oauthCode returns the error code of an OAuth-style error body.
func oauthCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b), w.Body.String())
	return b.Error
}

// family returns the stored family of a pair's session.
func (f *fixture) family(t testing.TB, p boundPair) issuer.Family {
	t.Helper()
	_, sid := accessClaims(t, p.AccessToken)
	fam, err := f.refresh.Lookup(context.Background(), sid, hashToken(p.RefreshToken), f.clock.Now())
	require.NoError(t, err)
	return fam
}

func TestDPoPLogin(t *testing.T) {
	f := newFixture(t, withDPoP(false))
	s := storekit.NewSigner(t)

	t.Run("a proof binds the family and its access token", func(t *testing.T) {
		p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", f.proof(t, s, loginURI)))
		assert.Equal(t, "DPoP", p.TokenType)
		jkt, _ := accessClaims(t, p.AccessToken)
		assert.Equal(t, s.Thumbprint(), jkt)
		assert.Equal(t, s.Thumbprint(), f.family(t, p).JKT)
	})

	t.Run("no proof: a bearer pair, as without DPoP", func(t *testing.T) {
		p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin))
		assert.Empty(t, p.TokenType, "no token_type, as before DPoP")
		jkt, _ := accessClaims(t, p.AccessToken)
		assert.Empty(t, jkt)
		assert.Empty(t, f.family(t, p).JKT)
	})

	for _, c := range []struct {
		name  string
		proof string
	}{
		{"malformed", "x.y.z"},
		{"for the refresh URI", f.proof(t, s, refreshURI)},
		{"stale", f.proof(t, s, loginURI, func(r *dpop.ProofRequest) { r.IssuedAt = f.clock.Now().Add(-time.Hour) })},
	} {
		t.Run("refused proof: "+c.name, func(t *testing.T) {
			before := f.throttle.Count("user:demo")
			w := f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", c.proof)
			require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			assert.Equal(t, "invalid_dpop_proof", oauthCode(t, w))
			assert.Equal(t, before, f.throttle.Count("user:demo"), "no attempt counted")
		})
	}

	t.Run("nested style", func(t *testing.T) {
		g := newFixture(t, withDPoP(false), func(cfg *issuer.Config) { cfg.Style = nil })
		w := g.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", "x.y.z")
		require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		_, _, msg := errorBody(t, w)
		assert.Equal(t, "Malformed DPoP proof", msg)
	})

	t.Run("replay store down: 503", func(t *testing.T) {
		g := newFixture(t, func(cfg *issuer.Config) {
			v, err := dpop.New(dpop.Config{Now: cfg.Now, Replay: failingReplay{}})
			require.NoError(t, err)
			cfg.DPoP = v
		})
		w := g.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", g.proof(t, s, loginURI))
		assert.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	})
}

func TestDPoPNonceFlow(t *testing.T) {
	f := newFixture(t, withDPoP(true))
	s := storekit.NewSigner(t)

	w := f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", f.proof(t, s, loginURI))
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	assert.Equal(t, "use_dpop_nonce", oauthCode(t, w))
	nonce := w.Header().Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)

	withNonce := func(r *dpop.ProofRequest) { r.Nonce = nonce }
	p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", f.proof(t, s, loginURI, withNonce)))
	assert.Equal(t, "DPoP", p.TokenType)

	// The refresh needs the nonce too; the refused request leaves the
	// token current.
	w = f.do("POST", "/auth/refresh", "127.0.0.2", `{"refresh_token":"`+p.RefreshToken+`"}`, "DPoP", f.proof(t, s, refreshURI))
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	assert.Equal(t, "use_dpop_nonce", oauthCode(t, w))
	assert.Equal(t, nonce, w.Header().Get("DPoP-Nonce"))
	q := decodeBound(t, f.do("POST", "/auth/refresh", "127.0.0.2", `{"refresh_token":"`+p.RefreshToken+`"}`, "DPoP", f.proof(t, s, refreshURI, withNonce)))
	assert.Equal(t, "DPoP", q.TokenType)
}

func TestDPoPRefresh(t *testing.T) {
	s, other := storekit.NewSigner(t), storekit.NewSigner(t)
	refresh := func(f *fixture, token string, hdr ...string) *httptest.ResponseRecorder {
		return f.do("POST", "/auth/refresh", "127.0.0.2", `{"refresh_token":"`+token+`"}`, hdr...)
	}

	t.Run("bound family", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			signer *dpop.Signer // nil: no proof
			status int
			code   string
		}{
			{"the same key", s, http.StatusOK, ""},
			{"another key", other, http.StatusBadRequest, "invalid_dpop_proof"},
			{"no proof", nil, http.StatusBadRequest, "invalid_dpop_proof"},
		} {
			t.Run(c.name, func(t *testing.T) {
				f := newFixture(t, withDPoP(false))
				p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", f.proof(t, s, loginURI)))
				var hdr []string
				if c.signer != nil {
					hdr = []string{"DPoP", f.proof(t, c.signer, refreshURI)}
				}
				w := refresh(f, p.RefreshToken, hdr...)
				require.Equal(t, c.status, w.Code, w.Body.String())
				if c.status != http.StatusOK {
					assert.Equal(t, c.code, oauthCode(t, w))
					// The token is still current: the right key refreshes it.
					w = refresh(f, p.RefreshToken, "DPoP", f.proof(t, s, refreshURI))
				}
				q := decodeBound(t, w)
				assert.Equal(t, "DPoP", q.TokenType)
				jkt, _ := accessClaims(t, q.AccessToken)
				assert.Equal(t, s.Thumbprint(), jkt, "the new access token is bound again")
				assert.Equal(t, s.Thumbprint(), f.family(t, q).JKT, "the family stays bound")
			})
		}
	})

	t.Run("unbound family with a proof", func(t *testing.T) {
		f := newFixture(t, withDPoP(false))
		p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin))
		q := decodeBound(t, refresh(f, p.RefreshToken, "DPoP", f.proof(t, s, refreshURI)))
		assert.Equal(t, "DPoP", q.TokenType)
		jkt, _ := accessClaims(t, q.AccessToken)
		assert.Equal(t, s.Thumbprint(), jkt)
		assert.Empty(t, f.family(t, q).JKT, "the family stays unbound")
		r := decodeBound(t, refresh(f, q.RefreshToken))
		assert.Empty(t, r.TokenType, "so a refresh without a proof gets a bearer token")
		jkt, _ = accessClaims(t, r.AccessToken)
		assert.Empty(t, jkt)
	})

	t.Run("bound family, issuer without DPoP", func(t *testing.T) {
		f := newFixture(t, withDPoP(false))
		p := decodeBound(t, f.do("POST", "/auth/login", "127.0.0.2", demoLogin, "DPoP", f.proof(t, s, loginURI)))
		g := newFixture(t, func(cfg *issuer.Config) { cfg.Refresh = f.refresh; cfg.Now = f.clock.Now })
		w := refresh(g, p.RefreshToken, "DPoP", g.proof(t, s, refreshURI))
		assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
		assert.False(t, f.family(t, p).Revoked, "refused, not revoked")
	})
}

// failingReplay is a DPoP ReplayStore that is down.
type failingReplay struct{}

func (failingReplay) Use(context.Context, string, string, time.Duration) (bool, error) {
	return false, context.DeadlineExceeded
}
