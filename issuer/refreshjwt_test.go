package issuer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// segment decodes the JSON object of one compact-JWS segment (0 header,
// 1 payload) without verifying anything.
func segment(t testing.TB, token string, n int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, token)
	b, err := base64.RawURLEncoding.DecodeString(parts[n])
	require.NoError(t, err)
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestTokenTypeConfig(t *testing.T) {
	base := func(mod func(*issuer.Config)) error {
		cfg := issuer.Config{
			Issuer: "https://rewards.example", Audiences: []string{"rewardstore-api"},
			Key: issuer.SigningKey{Key: testSecret}, Credentials: mustCreds(t), Revocations: newRevocations(),
		}
		mod(&cfg)
		_, err := issuer.New(cfg)
		return err
	}
	for _, ok := range []string{"", "at+jwt", "JWT"} {
		assert.NoError(t, base(func(c *issuer.Config) { c.TokenType = ok }), "%q", ok)
	}
	for _, bad := range []string{"jwt", "application/at+jwt", "AT+JWT", "rt+jwt", "at+jwt ", "JOSE", "x"} {
		assert.Error(t, base(func(c *issuer.Config) { c.TokenType = bad }), "%q", bad)
	}
	assert.NoError(t, base(func(c *issuer.Config) { c.RefreshJWT = true }))
	assert.Error(t, base(func(c *issuer.Config) { c.RefreshJWT, c.Audiences = true, nil }),
		"the default audience is the Issuer, the refresh JWTs' audience")
	assert.Error(t, base(func(c *issuer.Config) {
		c.RefreshJWT, c.Audiences = true, []string{"rewardstore-api", "https://rewards.example"}
	}))
	assert.NoError(t, base(func(c *issuer.Config) { c.Audiences = nil }), "opaque: the Issuer may be the audience")
}

// TestTokenTypeHeaders checks the typ of both tokens and that the bearer
// middleware from BearerConfig takes exactly the issuer's access tokens:
// not the other typ, not a refresh JWT.
func TestTokenTypeHeaders(t *testing.T) {
	for _, tc := range []struct {
		typ, wantAT, wantRT string
	}{
		{"", "at+jwt", "rt+jwt"},
		{"at+jwt", "at+jwt", "rt+jwt"},
		{"JWT", "JWT", "JWT"},
	} {
		t.Run("typ "+tc.wantAT, func(t *testing.T) {
			f := newFixture(t, func(c *issuer.Config) { c.TokenType, c.RefreshJWT = tc.typ, true })
			assert.Equal(t, tc.wantAT, f.iss.BearerConfig(nil).Issuers[0].TokenType)
			bc := f.iss.BearerConfig(f.revoked)
			assert.Equal(t, tc.wantAT, bc.Issuers[0].TokenType)
			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			assert.Equal(t, map[string]any{"alg": "HS256", "typ": tc.wantAT}, segment(t, p.Data.AccessToken, 0))
			assert.Equal(t, map[string]any{"alg": "HS256", "typ": tc.wantRT}, segment(t, p.Data.RefreshToken, 0))

			// The other typ, same key, issuer and audience: refused.
			otherTyp := "JWT"
			if tc.wantAT == "JWT" {
				otherTyp = "at+jwt"
			}
			other := newFixture(t, func(c *issuer.Config) { c.TokenType, c.Now = otherTyp, f.clock.Now })
			po := other.login(t, "127.0.0.2", "demo", demoPassword)
			api := bearerAPI(t, f)
			assert.Equal(t, http.StatusNoContent, api(p.Data.AccessToken))
			assert.Equal(t, http.StatusUnauthorized, api(po.Data.AccessToken), "typ %s is not this issuer's", otherTyp)
			// Logout checks the typ too.
			assert.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+po.Data.AccessToken).Code)
		})
	}
}

// bearerAPI returns a call through the bearer middleware built from the
// fixture's BearerConfig, answering its status.
func bearerAPI(t testing.TB, f *fixture) func(token string) int {
	t.Helper()
	bc := f.iss.BearerConfig(f.revoked)
	auth, err := bearer.New(bc)
	require.NoError(t, err)
	api := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	return func(token string) int {
		r := httptest.NewRequest("GET", "/api/v1/products", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w.Code
	}
}

func TestRefreshJWTClaims(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.RefreshJWT = true })
	login := f.clock.Now()
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	_, alg, key := verificationKey(f.iss)
	verified := func(tok string) jwt.MapClaims {
		c := jwt.MapClaims{}
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(f.clock.Now)).ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return key, nil })
		require.NoError(t, err)
		return c
	}
	check := func(p pairBody, issued time.Time) {
		c := verified(p.Data.RefreshToken)
		exp, err := time.Parse(time.RFC3339, p.Data.RefreshExpiresAt)
		require.NoError(t, err)
		assert.Equal(t, "https://rewards.example", c["iss"])
		assert.Equal(t, "https://rewards.example", c["aud"], "the Issuer itself, never an access-token audience")
		assert.Equal(t, "demo", c["sub"])
		assert.Equal(t, "refresh", c["token_use"])
		assert.Equal(t, p2SessionID(t, p), c["sid"])
		assert.EqualValues(t, exp.Unix(), c["exp"], "exp is refresh_expires_at")
		assert.EqualValues(t, issued.Unix(), c["iat"])
		assert.EqualValues(t, login.Unix(), c["auth_time"])
		raw, err := base64.RawURLEncoding.DecodeString(c["jti"].(string))
		require.NoError(t, err)
		assert.Len(t, raw, 32, "256 random bits")
		assert.Equal(t, "123456", c["tenant"], "the session's tenant, so that a refresh reads the account's allowlist at once")
		assert.Len(t, c, 10, "no other claims: %v", c)
	}
	check(p, login)
	f.clock.Add(time.Hour)
	w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	p2 := decodePair(t, w)
	check(p2, f.clock.Now())
	// The store files the token under the SHA-256 of the whole string.
	fam, err := f.refresh.Lookup(context.Background(), p2SessionID(t, p2), hashToken(p2.Data.RefreshToken), f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, p2SessionID(t, p2), fam.ID)
}

// TestRefreshJWTIsNoAccessToken: a refresh JWT is refused by the bearer
// middleware built from BearerConfig and by Logout, under both token
// types, and neither refusal harms the session.
func TestRefreshJWTIsNoAccessToken(t *testing.T) {
	for _, typ := range []string{"at+jwt", "JWT"} {
		t.Run(typ, func(t *testing.T) {
			f := newFixture(t, func(c *issuer.Config) { c.TokenType, c.RefreshJWT = typ, true })
			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			api := bearerAPI(t, f)
			assert.Equal(t, http.StatusNoContent, api(p.Data.AccessToken))
			assert.Equal(t, http.StatusUnauthorized, api(p.Data.RefreshToken), "refresh JWT as access token")
			w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.RefreshToken)
			assert.Equal(t, http.StatusUnauthorized, w.Code, "logout with a refresh JWT")
			assert.Equal(t, http.StatusNoContent, api(p.Data.AccessToken), "nothing revoked")
			assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", p.Data.AccessToken).Code, "access token as refresh token")
			require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code, "the session lives on")
		})
	}
}

// TestRefreshJWTForeign: refresh tokens of another issuer, another key,
// the other format, or tampered with are the 401 of an unknown token, and
// harm nothing.
func TestRefreshJWTForeign(t *testing.T) {
	jwtFormat := func(c *issuer.Config) { c.RefreshJWT = true }
	f := newFixture(t, jwtFormat)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)

	// Another issuer with the same key, and the same issuer with another key.
	otherIss := newFixture(t, jwtFormat, func(c *issuer.Config) { c.Issuer = "https://other.example" })
	otherKey := newFixture(t, jwtFormat, func(c *issuer.Config) {
		c.Key = issuer.SigningKey{Key: []byte("fedcba9876543210fedcba9876543210")}
	})
	// The opaque format with the same key and issuer.
	opaque := newFixture(t)
	pi := otherIss.login(t, "127.0.0.2", "demo", demoPassword)
	pk := otherKey.login(t, "127.0.0.2", "demo", demoPassword)
	po := opaque.login(t, "127.0.0.2", "demo", demoPassword)

	parts := strings.Split(p.Data.RefreshToken, ".")
	claims := segment(t, p.Data.RefreshToken, 1)
	claims["sub"] = "partner"
	forgedPayload, err := json.Marshal(claims)
	require.NoError(t, err)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2]
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"rt+jwt"}`)) + "." + parts[1] + "."

	for name, tok := range map[string]string{
		"other issuer":   pi.Data.RefreshToken,
		"other key":      pk.Data.RefreshToken,
		"opaque token":   po.Data.RefreshToken,
		"tampered":       tampered,
		"alg none":       noneAlg,
		"access token":   p.Data.AccessToken,
		"signature only": parts[0] + "." + parts[1] + ".",
	} {
		w := f.refreshWith("127.0.0.2", tok)
		require.Equal(t, http.StatusUnauthorized, w.Code, name)
		assert.Equal(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid or expired refresh token"}}`, w.Body.String(), name)
		assert.Equal(t, "refresh_invalid", string(f.audit.Last().Reason), name)
	}
	// And the other way round: the opaque issuer refuses a refresh JWT.
	assert.Equal(t, http.StatusUnauthorized, opaque.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
	// None of that harmed the real token.
	require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

// TestRefreshJWTValidButUnknown: a refresh JWT signed by this issuer but
// not in the store (here: after the store forgot it) is refused; the store
// stays authoritative.
func TestRefreshJWTValidButUnknown(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.RefreshJWT = true })
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	g := newFixture(t, func(c *issuer.Config) { c.RefreshJWT, c.Now = true, f.clock.Now })
	w := g.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code, "same key and issuer, other store")
	assert.Equal(t, "refresh_invalid", string(g.audit.Last().Reason))
}

func TestIssueAccessRefusesRefreshMarkers(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.RefreshJWT = true })
	s := issuer.Session{Subject: "demo"}
	_, err := f.iss.IssueAccess(issuer.AccessClaims{Session: s, Audiences: []string{"https://rewards.example"}})
	assert.Error(t, err, "the refresh JWTs' audience")
	for _, claim := range []string{"token_use", "auth_time"} {
		_, err = f.iss.IssueAccess(issuer.AccessClaims{Session: s, Extra: map[string]any{claim: "refresh"}})
		assert.Error(t, err, claim)
	}
	_, err = f.iss.IssueAccess(issuer.AccessClaims{Session: s, Audiences: []string{"other-api"}})
	assert.NoError(t, err)
}

func mustCreds(t testing.TB) issuer.CredentialStore {
	t.Helper()
	creds, err := issuer.NewMemoryCredentials()
	require.NoError(t, err)
	return creds
}
