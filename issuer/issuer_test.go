package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func baseConfig(t testing.TB) issuer.Config {
	creds, err := issuer.NewMemoryCredentials()
	require.NoError(t, err)
	return issuer.Config{
		Issuer:      "https://rewards.example",
		Key:         issuer.SigningKey{Key: testSecret},
		Credentials: creds,
		Revocations: newRevocations(),
		BcryptCost:  4,
	}
}

func TestNewValidates(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	tests := []struct {
		name string
		mod  func(*issuer.Config)
		want string
	}{
		{"no issuer", func(c *issuer.Config) { c.Issuer = "" }, "Issuer"},
		{"no credentials", func(c *issuer.Config) { c.Credentials = nil }, "Credentials"},
		{"no revocations", func(c *issuer.Config) { c.Revocations = nil }, "Revocations"},
		{"no key", func(c *issuer.Config) { c.Key = issuer.SigningKey{} }, "key type"},
		{"short HMAC secret", func(c *issuer.Config) { c.Key.Key = []byte("short") }, "at least 32"},
		{"HS512 needs 64 bytes", func(c *issuer.Config) { c.Key.Algorithm = "HS512" }, "at least 64"},
		{"unknown algorithm", func(c *issuer.Config) { c.Key.Algorithm = "none" }, "unsupported"},
		{"HMAC secret for ES256", func(c *issuer.Config) { c.Key.Algorithm = "ES256" }, "asymmetric"},
		{"P-384 key for ES256", func(c *issuer.Config) { c.Key = issuer.SigningKey{Algorithm: "ES256", Key: p384} }, "does not match"},
		{"1024-bit RSA", func(c *issuer.Config) { c.Key = issuer.SigningKey{Key: small} }, "2048"},
		{"RSA key without modulus", func(c *issuer.Config) { c.Key = issuer.SigningKey{Key: &rsa.PrivateKey{}} }, "2048"},
		{"public key", func(c *issuer.Config) { c.Key = issuer.SigningKey{Key: &p384.PublicKey} }, "key type"},
		{"negative TTL", func(c *issuer.Config) { c.AccessTTL = -time.Second }, "negative"},
		{"negative RefreshMaxAge", func(c *issuer.Config) { c.RefreshMaxAge = -time.Second }, "RefreshMaxAge"},
		{"AccessTTL below a second", func(c *issuer.Config) { c.AccessTTL = 500 * time.Millisecond }, "AccessTTL 500ms is below one second"},
		{"RefreshTTL below a second", func(c *issuer.Config) { c.RefreshTTL = time.Millisecond }, "RefreshTTL 1ms is below one second"},
		{"RefreshMaxAge below a second", func(c *issuer.Config) { c.RefreshMaxAge = time.Nanosecond }, "RefreshMaxAge 1ns is below one second"},
		{"empty audience", func(c *issuer.Config) { c.Audiences = []string{"a", ""} }, "Audience"},
		{"bcrypt cost too high", func(c *issuer.Config) { c.BcryptCost = 99 }, "BcryptCost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			tc.mod(&cfg)
			_, err := issuer.New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), string(testSecret))
		})
	}
}

func TestAccessTokenClaims(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tests := []struct {
		name    string
		key     issuer.SigningKey
		alg     string
		wantKid string // "" none, "*" any
	}{
		{"HS256 default", issuer.SigningKey{Key: testSecret}, "HS256", ""},
		{"HS256 with kid", issuer.SigningKey{ID: "k1", Key: testSecret}, "HS256", "k1"},
		{"ES256", issuer.SigningKey{Key: ec}, "ES256", "*"},
		{"ES256 with kid", issuer.SigningKey{ID: "ec-2026", Key: ec}, "ES256", "ec-2026"},
		{"EdDSA", issuer.SigningKey{Key: ed}, "EdDSA", "*"},
		{"RS256", issuer.SigningKey{Key: rk}, "RS256", "*"},
		{"PS256", issuer.SigningKey{Algorithm: "PS256", Key: rk}, "PS256", "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.Key = tc.key
			cfg.Audiences = []string{"rewardstore-api", "reports-api"}
			now := time.Date(2026, 1, 15, 9, 30, 0, 500, time.UTC)
			cfg.Now = func() time.Time { return now }
			iss, err := issuer.New(cfg)
			require.NoError(t, err)
			kid, alg, key := verificationKey(iss)
			assert.Equal(t, tc.alg, alg)
			switch tc.wantKid {
			case "*":
				assert.Len(t, kid, 43, "RFC 7638 thumbprint")
			default:
				assert.Equal(t, tc.wantKid, kid)
			}

			pair, err := iss.IssuePair(context.Background(), issuer.Session{
				Subject: "demo", Tenant: "123456", ClientID: "123456", Scopes: []string{"products:read", "categories:read"},
			})
			require.NoError(t, err)
			claims := jwt.MapClaims{}
			tok, err := jwt.NewParser(
				jwt.WithValidMethods([]string{alg}), jwt.WithIssuer("https://rewards.example"),
				jwt.WithAudience("reports-api"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
				jwt.WithTimeFunc(func() time.Time { return now }),
			).ParseWithClaims(pair.AccessToken, claims, func(*jwt.Token) (any, error) { return key, nil })
			require.NoError(t, err)
			assert.Equal(t, "at+jwt", tok.Header["typ"])
			if kid != "" {
				assert.Equal(t, kid, tok.Header["kid"])
			} else {
				assert.NotContains(t, tok.Header, "kid")
			}
			sec := now.Truncate(time.Second).Unix()
			assert.Equal(t, "demo", claims["sub"])
			assert.Equal(t, float64(sec), claims["iat"])
			assert.Equal(t, float64(sec), claims["nbf"])
			assert.Equal(t, float64(sec+3600), claims["exp"])
			assert.Equal(t, "123456", claims["client_id"])
			assert.Equal(t, "123456", claims["tenant"])
			assert.Equal(t, "products:read categories:read", claims["scope"])
			assert.Equal(t, pair.SessionID, claims["sid"])
			assert.Equal(t, pair.TokenID, claims["jti"])
			assert.Equal(t, []any{"rewardstore-api", "reports-api"}, claims["aud"])
			assert.Equal(t, []string{"products:read", "categories:read"}, gatehouse.ScopesFromClaims(claims))
			assert.Equal(t, now.Truncate(time.Second).Add(time.Hour), pair.AccessExpiresAt)
			assert.Equal(t, now.Truncate(time.Second).Add(7*24*time.Hour), pair.RefreshExpiresAt)
		})
	}
}

func TestIssueAccess(t *testing.T) {
	cfg := baseConfig(t)
	iss, err := issuer.New(cfg)
	require.NoError(t, err)
	seen := map[string]bool{}
	for range 100 {
		at, err := iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc"}})
		require.NoError(t, err)
		require.False(t, seen[at.ID], "jti must be unique")
		seen[at.ID] = true
	}

	at, err := iss.IssueAccess(issuer.AccessClaims{
		Session:   issuer.Session{Subject: "svc", ClientID: "my-app"},
		Audiences: []string{"https://api.example"},
		TTL:       5 * time.Minute,
		Extra:     map[string]any{"azp": "my-app", "act": map[string]string{"sub": "admin"}},
	})
	require.NoError(t, err)
	assert.Equal(t, at.IssuedAt.Add(5*time.Minute), at.ExpiresAt)
	c := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(at.Token, c)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example", c["aud"], "a single audience is a string")
	assert.Equal(t, "my-app", c["azp"])
	assert.Equal(t, map[string]any{"sub": "admin"}, c["act"])
	assert.NotContains(t, c, "sid")
	assert.NotContains(t, c, "scope")

	_, err = iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc"}, Extra: map[string]any{"sub": "root"}})
	assert.ErrorContains(t, err, "redefine")
	_, err = iss.IssueAccess(issuer.AccessClaims{})
	assert.ErrorContains(t, err, "subject")
}

func TestRevokeSession(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	sid := p2SessionID(t, p)
	require.NoError(t, f.iss.RevokeSession(context.Background(), "demo", sid))
	require.NoError(t, f.iss.RevokeSession(context.Background(), "demo", sid), "idempotent")
	require.NoError(t, f.iss.RevokeSession(context.Background(), "demo", "unknown"))
	assert.True(t, refusedAsRevoked(t, f, p.Data.AccessToken))
	assert.Equal(t, 401, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

func TestAccessorsCopy(t *testing.T) {
	cfg := baseConfig(t)
	iss, err := issuer.New(cfg)
	require.NoError(t, err)
	require.Len(t, iss.BearerConfig(nil).Issuers, 1)
	assert.Equal(t, "https://rewards.example", iss.BearerConfig(nil).Issuers[0].URL)
	aud := iss.BearerConfig(nil).Issuers[0].Audiences
	assert.Equal(t, []string{"https://rewards.example"}, aud, "audience defaults to the issuer")
	aud[0] = "x"
	assert.Equal(t, []string{"https://rewards.example"}, iss.BearerConfig(nil).Issuers[0].Audiences)
}

// TestIssueAccessReservesSessionClaims is the regression test for
// AccessClaims.Extra forging the session kind tokenendpoint.CheckSession
// and RequireSession trust: it is reserved, as iss or sub is.
func TestIssueAccessReservesSessionClaims(t *testing.T) {
	iss, err := issuer.New(baseConfig(t))
	require.NoError(t, err)
	for _, name := range []string{"session_kind", "Session_Kind"} {
		_, err := iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc"}, Extra: map[string]any{name: "x"}})
		assert.ErrorContains(t, err, "redefine", name)
	}
	_, err = iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc", ClientID: "app"},
		Extra: map[string]any{"session_kind": "client", "amount": 1e9, "notificationKey": "forged"}})
	require.Error(t, err, "a client session forged through Extra")
}

// TestIssueAccessReservesScopeAndBindingClaims is the regression test for
// scope escalation through AccessClaims.Extra: "scp" and "scopes" (which a
// verifier may read as scopes), "cnf", "sid", "token_use" and "typ" are
// reserved, in any letter case, and the error names the claim. Nothing is
// signed, so no token carrying them ever reaches a verifier.
func TestIssueAccessReservesScopeAndBindingClaims(t *testing.T) {
	iss, err := issuer.New(baseConfig(t))
	require.NoError(t, err)
	for _, name := range []string{
		"scp", "scopes", "cnf", "sid", "token_use", "typ",
		"SCP", "Scp", "SCOPES", "Sid", "SID", "Token_Use", "TYP", "Scope", "ISS", "Sub", "SESSION_KIND",
	} {
		at, err := iss.IssueAccess(issuer.AccessClaims{
			Session: issuer.Session{Subject: "svc", Scopes: []string{"products:read"}},
			Extra:   map[string]any{name: "admin products:write"},
		})
		require.Error(t, err, name)
		assert.ErrorContains(t, err, fmt.Sprintf("%q", name), "the error names the claim")
		assert.Empty(t, at.Token, name)
	}
	// A session without scopes has no "scope" claim at all: "scp" must not
	// fill the gap either.
	_, err = iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc"}, Extra: map[string]any{"scp": []string{"admin"}}})
	assert.ErrorContains(t, err, `"scp"`)
	// Names that merely contain a reserved one are the application's.
	_, err = iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "svc"}, Extra: map[string]any{"scp_hint": "x", "typ2": 1}})
	assert.NoError(t, err)
}

// TestConfigReportsEveryProblem: New names every problem of a
// configuration at once, wrapped in ErrConfig.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := issuer.New(issuer.Config{TokenType: "jwt", AccessTTL: -1, RefreshReuseGrace: time.Hour, Audiences: []string{""}})
	require.ErrorIs(t, err, issuer.ErrConfig)
	for _, want := range []string{"Issuer", "Credentials", "Revocations", "negative", "TokenType", "RefreshReuseGrace", "Audiences"} {
		assert.ErrorContains(t, err, want)
	}
}
