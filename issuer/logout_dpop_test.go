package issuer_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"github.com/gatehouse-go/gatehouse/issuer"
)

// logoutRealm is the realm of the loopback fixtures' challenges.
const logoutRealm = "gatehouse"

// partnerLogin logs in the partner account, which has no allowlist: the
// loopback client comes from 127.0.0.1.
const partnerLogin = `{"username":"partner","password":"` + partnerPassword + `"}`

// loopback is a fixture served over a real loopback HTTP server, with
// the DPoP verifier its issuer was given (nil for none).
type loopback struct {
	*fixture
	srv *httptest.Server
	v   *dpop.Verifier
}

// newLoopback serves a fixture with OAuth-style errors and the realm
// logoutRealm; with dpopOn its issuer has a DPoP verifier (with nonces
// when nonce is set).
func newLoopback(t *testing.T, dpopOn, nonce bool, mod ...func(*issuer.Config)) *loopback {
	t.Helper()
	l := &loopback{}
	l.fixture = newFixture(t, append([]func(*issuer.Config){func(cfg *issuer.Config) {
		cfg.Style = envelope.OAuth
		cfg.Realm = logoutRealm
		if dpopOn {
			l.v = storekit.DPoPVerifier(cfg.Now, nonce)
			cfg.DPoP = l.v
		}
	}}, mod...)...)
	l.srv = httptest.NewServer(l.mux)
	t.Cleanup(l.srv.Close)
	return l
}

// uri is the absolute URI of path on the loopback server: a proof's htu.
func (l *loopback) uri(path string) string { return l.srv.URL + path }

// proofFor signs, with s, a proof for a POST to uri at the fixture's time.
func (l *loopback) proofFor(t *testing.T, s *dpop.Signer, uri string, mod ...func(*dpop.ProofRequest)) string {
	t.Helper()
	return storekit.Proof(t, s, uri, l.clock.Now(), mod...)
}

// answer is an HTTP response read to the end.
type answer struct {
	status int
	header http.Header
	body   string
}

// oauthError returns the "error" member of an OAuth-style error body.
func (a answer) oauthError(t *testing.T) string {
	t.Helper()
	var b struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &b), a.body)
	return b.Error
}

// send POSTs body to url with the header pairs hdr over a real connection.
func send(t *testing.T, url, body string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Set(hdr[k], hdr[k+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// loginPartner logs the partner in, with a proof of s when s is not nil.
func (l *loopback) loginPartner(t *testing.T, s *dpop.Signer) boundPair {
	t.Helper()
	var hdr []string
	if s != nil {
		hdr = []string{"DPoP", l.proofFor(t, s, l.uri("/auth/login"))}
	}
	a := send(t, l.uri("/auth/login"), partnerLogin, hdr...)
	require.Equal(t, http.StatusOK, a.status, a.body)
	var b struct {
		Data boundPair `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &b))
	return b.Data
}

// refreshPartner refreshes p's session, with a proof of s when s is not nil.
func (l *loopback) refreshPartner(t *testing.T, p boundPair, s *dpop.Signer) answer {
	t.Helper()
	var hdr []string
	if s != nil {
		hdr = []string{"DPoP", l.proofFor(t, s, l.uri("/auth/refresh"))}
	}
	return send(t, l.uri("/auth/refresh"), `{"refresh_token":"`+p.RefreshToken+`"}`, hdr...)
}

// logout POSTs to the logout URI with the header pairs hdr.
func (l *loopback) logout(t *testing.T, hdr ...string) answer {
	t.Helper()
	return send(t, l.uri("/auth/logout"), "", hdr...)
}

// logoutProof signs, with s, a proof for the logout of token (its ath).
func (l *loopback) logoutProof(t *testing.T, s *dpop.Signer, token string, mod ...func(*dpop.ProofRequest)) string {
	t.Helper()
	return l.proofFor(t, s, l.uri("/auth/logout"), append([]func(*dpop.ProofRequest){func(r *dpop.ProofRequest) { r.AccessToken = token }}, mod...)...)
}

// revokedNothing checks that the revocation store holds no entry.
func (l *loopback) revokedNothing(t *testing.T) {
	t.Helper()
	l.revoked.mu.Lock()
	defer l.revoked.mu.Unlock()
	assert.Empty(t, l.revoked.until, "nothing revoked")
}

// The challenges the bearer middleware answers a DPoP refusal with, for
// the fixture's realm.
func proofChallenge(v *dpop.Verifier, code, description string) string {
	return v.Challenge(logoutRealm, code, description) + `, Bearer realm="` + logoutRealm + `"`
}

const boundBearerChallenge = `Bearer realm="` + logoutRealm + `", error="invalid_token", error_description="Invalid access token"`

func TestLogoutDPoPBound(t *testing.T) {
	owner, other := storekit.NewSigner(t), storekit.NewSigner(t)

	t.Run("bound token with the DPoP scheme and a valid proof: 200, the session ends", func(t *testing.T) {
		l := newLoopback(t, true, false)
		p := l.loginPartner(t, owner)
		require.Equal(t, "DPoP", p.TokenType)
		proof := l.logoutProof(t, owner, p.AccessToken)
		a := l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", proof)
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.JSONEq(t, `{"success":true,"data":{"logged_out":true}}`, a.body)
		assert.Equal(t, "logout", l.audit.Last().Action)
		assert.True(t, refusedAsRevoked(t, l.fixture, p.AccessToken), "the access token is revoked")
		r := l.refreshPartner(t, p, owner)
		assert.Equal(t, http.StatusUnauthorized, r.status, "the owner's refresh fails: %s", r.body)

		// The proof was spent: the same request again is a replay.
		a = l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", proof)
		require.Equal(t, http.StatusUnauthorized, a.status, a.body)
		assert.Equal(t, "invalid_dpop_proof", a.oauthError(t))
		assert.Equal(t, dpop.ReasonReplayed, l.audit.Last().Reason)
		// A fresh proof logs out again: logout stays idempotent.
		a = l.logout(t, "Authorization", "dpop "+p.AccessToken, "DPoP", l.logoutProof(t, owner, p.AccessToken))
		assert.Equal(t, http.StatusOK, a.status, a.body)
	})

	t.Run("bound token as a Bearer token: 401, nothing revoked", func(t *testing.T) {
		l := newLoopback(t, true, false)
		p := l.loginPartner(t, owner)
		for _, hdr := range [][]string{
			{"Authorization", "Bearer " + p.AccessToken},
			// A valid proof does not make a Bearer token a DPoP one.
			{"Authorization", "Bearer " + p.AccessToken, "DPoP", l.logoutProof(t, owner, p.AccessToken)},
		} {
			a := l.logout(t, hdr...)
			require.Equal(t, http.StatusUnauthorized, a.status, a.body)
			assert.Equal(t, "invalid_token", a.oauthError(t))
			assert.Equal(t, boundBearerChallenge+", "+l.v.Challenge(logoutRealm, "", ""), a.header.Get("WWW-Authenticate"))
			assert.Equal(t, bearer.ReasonBoundToken, l.audit.Last().Reason)
		}
		l.revokedNothing(t)
		r := l.refreshPartner(t, p, owner)
		assert.Equal(t, http.StatusOK, r.status, "the owner's refresh still works: %s", r.body)
	})

	t.Run("the proof of a refused Bearer request is not spent", func(t *testing.T) {
		l := newLoopback(t, true, false)
		p := l.loginPartner(t, owner)
		proof := l.logoutProof(t, owner, p.AccessToken)
		a := l.logout(t, "Authorization", "Bearer "+p.AccessToken, "DPoP", proof)
		require.Equal(t, http.StatusUnauthorized, a.status, a.body)
		a = l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", proof)
		assert.Equal(t, http.StatusOK, a.status, a.body)
	})

	for _, c := range []struct {
		name   string
		proof  func(l *loopback, token string) string // "" for no DPoP header
		reason string
	}{
		{"no proof", func(*loopback, string) string { return "" }, string(dpop.ReasonMissingProof)},
		{"another key", func(l *loopback, tok string) string { return l.logoutProof(t, other, tok) }, string(dpop.ReasonKeyMismatch)},
		{"wrong ath", func(l *loopback, tok string) string {
			return l.logoutProof(t, owner, tok, func(r *dpop.ProofRequest) { r.AccessToken = tok + "x" })
		}, string(dpop.ReasonTokenHash)},
		{"no ath", func(l *loopback, tok string) string {
			return l.logoutProof(t, owner, tok, func(r *dpop.ProofRequest) { r.AccessToken = "" })
		}, string(dpop.ReasonTokenHash)},
		{"for the refresh URI", func(l *loopback, tok string) string {
			return l.proofFor(t, owner, l.uri("/auth/refresh"), func(r *dpop.ProofRequest) { r.AccessToken = tok })
		}, string(dpop.ReasonURIMismatch)},
		{"for another method", func(l *loopback, tok string) string {
			return l.logoutProof(t, owner, tok, func(r *dpop.ProofRequest) { r.Method = http.MethodGet })
		}, string(dpop.ReasonMethodMismatch)},
		{"malformed", func(*loopback, string) string { return "x.y.z" }, string(dpop.ReasonMalformedProof)},
	} {
		t.Run("bound token with the DPoP scheme, "+c.name+": 401, nothing revoked", func(t *testing.T) {
			l := newLoopback(t, true, false)
			p := l.loginPartner(t, owner)
			hdr := []string{"Authorization", "DPoP " + p.AccessToken}
			if proof := c.proof(l, p.AccessToken); proof != "" {
				hdr = append(hdr, "DPoP", proof)
			}
			a := l.logout(t, hdr...)
			require.Equal(t, http.StatusUnauthorized, a.status, a.body)
			assert.Equal(t, "invalid_dpop_proof", a.oauthError(t))
			assert.Equal(t, proofChallenge(l.v, "invalid_dpop_proof", "Invalid DPoP proof"), a.header.Get("WWW-Authenticate"))
			assert.Empty(t, a.header.Get("DPoP-Nonce"))
			assert.Equal(t, c.reason, string(l.audit.Last().Reason))
			l.revokedNothing(t)
			r := l.refreshPartner(t, p, owner)
			assert.Equal(t, http.StatusOK, r.status, "the owner's refresh still works: %s", r.body)
		})
	}

	t.Run("nonce: use_dpop_nonce with a DPoP-Nonce, then 200", func(t *testing.T) {
		l := newLoopback(t, true, true)
		// The login's nonce round trip.
		a := send(t, l.uri("/auth/login"), partnerLogin, "DPoP", l.proofFor(t, owner, l.uri("/auth/login")))
		require.Equal(t, http.StatusBadRequest, a.status, a.body)
		nonce := a.header.Get("DPoP-Nonce")
		require.NotEmpty(t, nonce)
		withNonce := func(r *dpop.ProofRequest) { r.Nonce = nonce }
		a = send(t, l.uri("/auth/login"), partnerLogin, "DPoP", l.proofFor(t, owner, l.uri("/auth/login"), withNonce))
		require.Equal(t, http.StatusOK, a.status, a.body)
		var b struct {
			Data boundPair `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(a.body), &b))
		p := b.Data

		a = l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", l.logoutProof(t, owner, p.AccessToken))
		require.Equal(t, http.StatusUnauthorized, a.status, a.body)
		assert.Equal(t, "use_dpop_nonce", a.oauthError(t))
		assert.Equal(t, nonce, a.header.Get("DPoP-Nonce"))
		assert.Equal(t, proofChallenge(l.v, "use_dpop_nonce", "Use the DPoP nonce the server provided"), a.header.Get("WWW-Authenticate"))
		assert.Equal(t, dpop.ReasonUseNonce, l.audit.Last().Reason)
		l.revokedNothing(t)

		a = l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", l.logoutProof(t, owner, p.AccessToken, withNonce))
		assert.Equal(t, http.StatusOK, a.status, a.body)
	})

	t.Run("replay store down: 503, nothing revoked", func(t *testing.T) {
		l := newLoopback(t, true, false)
		p := l.loginPartner(t, owner)
		down, err := dpop.New(dpop.Config{Now: l.clock.Now, Replay: failingReplay{}})
		require.NoError(t, err)
		g := newLoopback(t, false, false, func(cfg *issuer.Config) {
			cfg.Refresh, cfg.Now, cfg.Revocations, cfg.DPoP = l.refresh, l.clock.Now, l.revoked, down
		})
		a := g.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", g.logoutProof(t, owner, p.AccessToken))
		require.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
		assert.Equal(t, "store_unavailable", string(g.audit.Last().Reason))
		l.revokedNothing(t)
	})
}

func TestLogoutDPoPIssuerWithoutVerifier(t *testing.T) {
	owner := storekit.NewSigner(t)
	f := newLoopback(t, true, false)
	p := f.loginPartner(t, owner)
	// The same issuer, key and stores, without Config.DPoP.
	g := newLoopback(t, false, false, func(cfg *issuer.Config) {
		cfg.Refresh, cfg.Now, cfg.Revocations = f.refresh, f.clock.Now, f.revoked
	})

	a := g.logout(t, "Authorization", "Bearer "+p.AccessToken)
	require.Equal(t, http.StatusUnauthorized, a.status, a.body)
	assert.Equal(t, "invalid_token", a.oauthError(t))
	assert.Equal(t, boundBearerChallenge, a.header.Get("WWW-Authenticate"), "no DPoP challenge without a verifier")
	assert.Equal(t, bearer.ReasonBoundToken, g.audit.Last().Reason)

	// The DPoP scheme is another scheme: no bearer credentials.
	a = g.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", g.logoutProof(t, owner, p.AccessToken))
	require.Equal(t, http.StatusUnauthorized, a.status, a.body)
	assert.Equal(t, `Bearer realm="`+logoutRealm+`"`, a.header.Get("WWW-Authenticate"))

	f.revokedNothing(t)
	r := f.refreshPartner(t, p, owner)
	assert.Equal(t, http.StatusOK, r.status, "the owner's refresh still works: %s", r.body)
}

func TestLogoutDPoPUnboundToken(t *testing.T) {
	s := storekit.NewSigner(t)
	l := newLoopback(t, true, false)
	p := l.loginPartner(t, nil)
	require.Empty(t, p.TokenType, "a bearer pair")

	// RFC 9449 §7.2: a token bound to no key is not a DPoP token, whatever
	// the proof.
	a := l.logout(t, "Authorization", "DPoP "+p.AccessToken, "DPoP", l.logoutProof(t, s, p.AccessToken))
	require.Equal(t, http.StatusUnauthorized, a.status, a.body)
	assert.Equal(t, "invalid_dpop_proof", a.oauthError(t))
	assert.Equal(t, proofChallenge(l.v, "invalid_dpop_proof", "Invalid DPoP proof"), a.header.Get("WWW-Authenticate"))
	assert.Equal(t, dpop.ReasonKeyMismatch, l.audit.Last().Reason)
	l.revokedNothing(t)

	// As a Bearer token it logs out, as before.
	a = l.logout(t, "Authorization", "Bearer "+p.AccessToken)
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.True(t, refusedAsRevoked(t, l.fixture, p.AccessToken))
}

func TestLogoutDPoPSchemeTokenRefusals(t *testing.T) {
	l := newLoopback(t, true, false)
	dpopFirst := func(code string) string {
		return l.v.Challenge(logoutRealm, code, "") + `, Bearer realm="` + logoutRealm + `"`
	}
	for _, c := range []struct{ name, header, challenge string }{
		{"the scheme alone (no credentials)", "DPoP", dpopFirst("")},
		{"the scheme and spaces (no credentials)", "dpop  \t", dpopFirst("")},
		{"not a b64token", "DPoP a,b", dpopFirst("invalid_token")},
		{"scheme prefix only", "DPoPabc", dpopFirst("invalid_token")},
		{"not a JWT of this issuer", "DPoP not.a.jwt", dpopFirst("invalid_token")},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := l.logout(t, "Authorization", c.header)
			require.Equal(t, http.StatusUnauthorized, a.status, a.body)
			assert.Equal(t, c.challenge, a.header.Get("WWW-Authenticate"))
			assert.Equal(t, issuer.ReasonInvalidAccessToken, l.audit.Last().Reason)
		})
	}
	t.Run("a second method", func(t *testing.T) {
		a := send(t, l.uri("/auth/logout")+"?access_token=x", "", "Authorization", "DPoP abc")
		require.Equal(t, http.StatusBadRequest, a.status, a.body)
		assert.Equal(t, l.v.Challenge(logoutRealm, "invalid_request", "Send the access token in one place only")+`, Bearer realm="`+logoutRealm+`"`,
			a.header.Get("WWW-Authenticate"))
	})
	l.revokedNothing(t)
}

// TestLogoutDPoPAnswersAsBearer sends the same requests to Logout and to a
// resource behind the bearer middleware with the same DPoP configuration,
// and checks that both answer them alike: status, challenge, error code
// and DPoP-Nonce.
func TestLogoutDPoPAnswersAsBearer(t *testing.T) {
	owner, other := storekit.NewSigner(t), storekit.NewSigner(t)
	type request func(l *loopback, p boundPair, uri string) []string
	withProof := func(s *dpop.Signer, scheme string, mod ...func(*dpop.ProofRequest)) request {
		return func(l *loopback, p boundPair, uri string) []string {
			return []string{"Authorization", scheme + " " + p.AccessToken, "DPoP",
				l.proofFor(t, s, uri, append([]func(*dpop.ProofRequest){func(r *dpop.ProofRequest) { r.AccessToken = p.AccessToken }}, mod...)...)}
		}
	}
	noProof := func(scheme string) request {
		return func(_ *loopback, p boundPair, _ string) []string {
			return []string{"Authorization", scheme + " " + p.AccessToken}
		}
	}
	for _, c := range []struct {
		name          string
		dpopOn, nonce bool
		bound         bool
		req           request
		status        int // the bearer middleware's; Logout answers 200 for its 204
	}{
		{"bound, DPoP, valid proof", true, false, true, withProof(owner, "DPoP"), http.StatusNoContent},
		{"bound, Bearer", true, false, true, noProof("Bearer"), http.StatusUnauthorized},
		{"bound, Bearer with a valid proof", true, false, true, withProof(owner, "Bearer"), http.StatusUnauthorized},
		{"bound, DPoP, no proof", true, false, true, noProof("DPoP"), http.StatusUnauthorized},
		{"bound, DPoP, another key", true, false, true, withProof(other, "DPoP"), http.StatusUnauthorized},
		{"bound, DPoP, wrong ath", true, false, true, withProof(owner, "DPoP", func(r *dpop.ProofRequest) { r.AccessToken = "x" }), http.StatusUnauthorized},
		{"bound, DPoP, no nonce", true, true, true, withProof(owner, "DPoP"), http.StatusUnauthorized},
		{"unbound, DPoP, valid proof", true, false, false, withProof(owner, "DPoP"), http.StatusUnauthorized},
		{"unbound, Bearer", true, false, false, noProof("Bearer"), http.StatusNoContent},
		{"no DPoP, bound, Bearer", false, false, true, noProof("Bearer"), http.StatusUnauthorized},
		{"no DPoP, bound, DPoP", false, false, true, withProof(owner, "DPoP"), http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The session is made by an issuer with DPoP (with nonces when
			// the case has them, so login carries the nonce).
			f := newLoopback(t, true, c.nonce)
			var p boundPair
			if c.bound {
				nonce := f.v.Nonce()
				a := send(t, f.uri("/auth/login"), partnerLogin, "DPoP",
					f.proofFor(t, owner, f.uri("/auth/login"), func(r *dpop.ProofRequest) { r.Nonce = nonce }))
				require.Equal(t, http.StatusOK, a.status, a.body)
				var b struct {
					Data boundPair `json:"data"`
				}
				require.NoError(t, json.Unmarshal([]byte(a.body), &b))
				p = b.Data
			} else {
				p = f.loginPartner(t, nil)
			}
			l := f
			if !c.dpopOn {
				l = newLoopback(t, false, false, func(cfg *issuer.Config) {
					cfg.Refresh, cfg.Now, cfg.Revocations = f.refresh, f.clock.Now, f.revoked
				})
			}

			cfg := l.iss.BearerConfig(l.revoked)
			cfg.Realm, cfg.Style = logoutRealm, envelope.OAuth
			if c.dpopOn {
				cfg.DPoP = bearer.DPoP{Mode: bearer.DPoPAllowed, Verifier: storekit.DPoPVerifier(l.clock.Now, c.nonce)}
			}
			auth, err := bearer.New(cfg)
			require.NoError(t, err)
			api := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			t.Cleanup(api.Close)

			want := send(t, api.URL+"/resource", "", c.req(l, p, api.URL+"/resource")...)
			require.Equal(t, c.status, want.status, want.body)
			got := l.logout(t, c.req(l, p, l.uri("/auth/logout"))...)
			if want.status == http.StatusNoContent {
				assert.Equal(t, http.StatusOK, got.status, got.body)
				return
			}
			require.Equal(t, want.status, got.status, got.body)
			assert.Equal(t, want.header.Get("WWW-Authenticate"), got.header.Get("WWW-Authenticate"))
			assert.Equal(t, want.header.Get("DPoP-Nonce"), got.header.Get("DPoP-Nonce"))
			assert.Equal(t, want.oauthError(t), got.oauthError(t))
			l.revokedNothing(t)
		})
	}
}

// TestLogoutDPoPTransport logs a bound session out through dpop.Transport,
// which answers the nonce refusal by itself.
func TestLogoutDPoPTransport(t *testing.T) {
	owner := storekit.NewSigner(t)
	l := newLoopback(t, true, true)
	nonce := l.v.Nonce()
	a := send(t, l.uri("/auth/login"), partnerLogin, "DPoP",
		l.proofFor(t, owner, l.uri("/auth/login"), func(r *dpop.ProofRequest) { r.Nonce = nonce }))
	require.Equal(t, http.StatusOK, a.status, a.body)
	var b struct {
		Data boundPair `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &b))

	client := &http.Client{Transport: &dpop.Transport{Signer: owner, Now: l.clock.Now}}
	req, err := http.NewRequest(http.MethodPost, l.uri("/auth/logout"), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "DPoP "+b.Data.AccessToken)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, refusedAsRevoked(t, l.fixture, b.Data.AccessToken))
	evs := l.audit.All()
	require.GreaterOrEqual(t, len(evs), 2)
	assert.Equal(t, dpop.ReasonUseNonce, evs[len(evs)-2].Reason, "the first try, without the nonce")
}
