package issuer_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogout(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code)
	p2 := decodePair(t, w)

	w = f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p2.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, `{"success":true,"data":{"logged_out":true}}`, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))

	// The presented token is revoked until its expiry …
	f.revoked.mu.Lock()
	until := f.revoked.until[jti(t, p2.Data.AccessToken)]
	f.revoked.mu.Unlock()
	assert.Equal(t, f.clock.Now().Add(time.Hour), until)
	// … so is the family's earlier access token, and the refresh token is dead.
	assert.True(t, refusedAsRevoked(t, f, p.Data.AccessToken))
	w = f.refreshWith("127.0.0.2", p2.Data.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	// Idempotent: the same logout again still succeeds.
	w = f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p2.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "logout", f.audit.Last().Action)
}

// TestLogoutAllowlist checks that logout obeys the account's IP allowlist
// like login and refresh (seed 000): 403 from an unlisted address, and the
// tokens stay valid.
func TestLogoutAllowlist(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	w := f.do("POST", "/auth/logout", "127.0.0.3", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
	assert.Equal(t, "ip_denied", string(f.audit.Last().Reason))
	assert.False(t, refusedAsRevoked(t, f, p.Data.AccessToken))
	w = f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code, "the refresh token is still alive")

	// The account without an allowlist logs out from anywhere.
	q := f.login(t, "127.0.0.3", "partner", partnerPassword)
	w = f.do("POST", "/auth/logout", "127.0.0.9", "", "Authorization", "Bearer "+q.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

func TestLogoutCredentialRotation(t *testing.T) {
	// Seed 001: log in with the new credentials, then log out the old token.
	f := newFixture(t)
	old := f.login(t, "127.0.0.9", "partner", partnerPassword)
	fresh := f.login(t, "127.0.0.9", "partner", partnerPassword)
	w := f.do("POST", "/auth/logout", "127.0.0.9", "", "Authorization", "Bearer "+old.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.9", old.Data.RefreshToken).Code)
	assert.Equal(t, http.StatusOK, f.refreshWith("127.0.0.9", fresh.Data.RefreshToken).Code, "the new session lives on")
	assert.False(t, refusedAsRevoked(t, f, fresh.Data.AccessToken))
}

func TestLogoutExpiredAccessTokenStillEndsSession(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	f.clock.Add(2 * time.Hour)
	w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code)
	ok, _ := f.revoked.IsRevoked(context.Background(), jti(t, p.Data.AccessToken))
	assert.False(t, ok, "an expired token needs no revocation entry")
	assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

func TestLogoutRefusals(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	foreign := newFixture(t, func(c *issuer.Config) { c.Key = issuer.SigningKey{Key: edKey} })
	fp := foreign.login(t, "127.0.0.2", "demo", demoPassword)
	otherIss := newFixture(t, func(c *issuer.Config) { c.Issuer = "https://elsewhere.example" })
	op := otherIss.login(t, "127.0.0.2", "demo", demoPassword)
	otherAud := newFixture(t, func(c *issuer.Config) { c.Audiences = []string{"other-api"} })
	ap := otherAud.login(t, "127.0.0.2", "demo", demoPassword)

	tests := []struct{ name, header string }{
		{"no header (no error code: RFC 6750 §3.1)", ""},
		{"basic scheme (no error code: RFC 6750 §3.1)", "Basic ZGVtbzpkZW1v"},
		{"empty bearer (no error code: RFC 6750 §3.1)", "Bearer "},
		{"bare Bearer (no error code: RFC 6750 §3.1)", "Bearer"},
		{"refresh token as access token", "Bearer " + p.Data.RefreshToken},
		{"garbage", "Bearer not.a.jwt"},
		{"tampered", "Bearer " + p.Data.AccessToken[:len(p.Data.AccessToken)-2] + "xx"},
		{"other key", "Bearer " + fp.Data.AccessToken},
		{"other issuer, same key", "Bearer " + op.Data.AccessToken},
		{"other audience, same key", "Bearer " + ap.Data.AccessToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Authorization", tc.header}
			}
			w := f.do("POST", "/auth/logout", "127.0.0.2", "", hdr...)
			require.Equal(t, http.StatusUnauthorized, w.Code)
			want := `Bearer error="invalid_token"`
			if strings.Contains(tc.name, "no error code") {
				want = "Bearer"
			}
			assert.Equal(t, want, w.Header().Get("WWW-Authenticate"))
			name, code, _ := errorBody(t, w)
			assert.Equal(t, "UnauthorizedError", name)
			assert.Equal(t, "UNAUTHORIZED", code)
			assert.Equal(t, "invalid_access_token", string(f.audit.Last().Reason))
		})
	}
	// Lower-case scheme is fine (RFC 6750 schemes are case-insensitive).
	w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "bearer "+p.Data.AccessToken)
	assert.Equal(t, http.StatusOK, w.Code)
}

func TestLogoutRevocationStoreDown(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	f.revoked.fail = errors.New("redis: down")
	w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	f.revoked.fail = nil
	w = f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code, "a retry completes the logout")
}
