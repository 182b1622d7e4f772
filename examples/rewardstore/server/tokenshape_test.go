package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jwsPart decodes one segment (0 header, 1 payload) of a compact JWS.
func jwsPart(t *testing.T, token string, n int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a compact JWS: %s", token)
	b, err := base64.RawURLEncoding.DecodeString(parts[n])
	require.NoError(t, err)
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestSeedTokenShape checks seed 000's sample login response: both tokens
// are JWTs ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…") with the header
// {"alg":"HS256","typ":"JWT"}, and the refresh token's exp is
// refresh_expires_at — at login and after a refresh.
func TestSeedTokenShape(t *testing.T) {
	e := start(t, nil)
	check := func(p tokens) {
		t.Helper()
		const seedHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
		for _, tok := range []string{p.AccessToken, p.RefreshToken} {
			assert.Equal(t, map[string]any{"alg": "HS256", "typ": "JWT"}, jwsPart(t, tok, 0))
			assert.True(t, strings.HasPrefix(tok, seedHeader), "the seed's header bytes: %s", tok)
		}
		exp, err := time.Parse(time.RFC3339, p.RefreshExpiresAt)
		require.NoError(t, err)
		rc := jwsPart(t, p.RefreshToken, 1)
		assert.EqualValues(t, exp.Unix(), rc["exp"], "refresh exp is refresh_expires_at")
		assert.Equal(t, "refresh", rc["token_use"])
		aexp, err := time.Parse(time.RFC3339, p.AccessExpiresAt)
		require.NoError(t, err)
		assert.EqualValues(t, aexp.Unix(), jwsPart(t, p.AccessToken, 1)["exp"])
	}
	p := e.login("127.0.0.2", "demo", "demo-password")
	check(p)
	e.clock.Add(time.Hour)
	r := e.refresh("127.0.0.2", p.RefreshToken)
	require.Equal(t, http.StatusOK, r.status, r.body)
	check(pairOf(t, r))
}

// TestRefreshJWTIsNoAccessToken: with typ JWT on both tokens, the audience
// keeps them apart. The refresh JWT opens no API route and no logout, and
// an access token is no refresh token; none of it harms the session.
func TestRefreshJWTIsNoAccessToken(t *testing.T) {
	e := start(t, nil)
	p := e.login("127.0.0.2", "demo", "demo-password")
	for _, path := range []string{"/api/v1/products", "/api/v1/categories"} {
		r := e.get("127.0.0.2", path, p.RefreshToken)
		assert.Equal(t, http.StatusUnauthorized, r.status, path)
		name, code := errorOf(t, r)
		assert.Equal(t, "UnauthorizedError", name)
		assert.Equal(t, "UNAUTHORIZED", code)
	}
	r := e.call("127.0.0.2", "POST", "/auth/logout", "", "Authorization", "Bearer "+p.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, r.status, "logout with the refresh JWT")
	assert.Equal(t, http.StatusUnauthorized, e.refresh("127.0.0.2", p.AccessToken).status, "access token as refresh token")
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p.AccessToken).status)
	assert.Equal(t, http.StatusOK, e.refresh("127.0.0.2", p.RefreshToken).status)
}
