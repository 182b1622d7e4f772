package tokenendpoint_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// TestAssertionDefaults: without Config.Assertion and Config.ReplayClaim
// an assertion is single-use by its jti (RFC 7523 §3), which it must carry,
// and the session token carries no application claims.
func TestAssertionDefaults(t *testing.T) {
	f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.ReplayClaim, c.Assertion = "", nil })
	now := f.clock.Now().Unix()
	a := jws(t, jwtHeader, map[string]any{"iat": now, "jti": "a-1", "amount": 5}, shopKey)
	b := decodeToken(t, f.assertionGrant("shop", a))
	s := f.verify(t, b.AccessToken)
	assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionClient, ClientID: "shop"}, s, "no application claims")

	code, desc := oauthError(t, f.assertionGrant("shop", a))
	assert.Equal(t, "invalid_grant", code)
	assert.Equal(t, "Assertion jti was already used", desc)
	code, desc = oauthError(t, f.assertionGrant("shop", jws(t, jwtHeader, map[string]any{"iat": now, "notificationKey": "k"}, shopKey)))
	assert.Equal(t, "invalid_grant", code)
	assert.Equal(t, "Assertion jti is required", desc)
	_, desc = oauthError(t, f.assertionGrant("shop", jws(t, jwtHeader, map[string]any{"iat": now, "jti": true}, shopKey)))
	assert.Equal(t, "Assertion jti must be a string or an integer of at most 256 bytes", desc)
}

// TestAssertionHook: the hook's InvalidGrant description reaches the
// client, any other error of the hook is answered without its text, and
// claims that would redefine a claim the endpoint sets or a verifier
// trusts, or that are no JSON object, fail the grant with 500 and issue
// nothing.
func TestAssertionHook(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hook   func(json.RawMessage, string) (any, error)
		status int
		desc   string
	}{
		{"described refusal", func(json.RawMessage, string) (any, error) {
			return nil, tokenendpoint.InvalidGrant("Assertion tier is unknown")
		}, 400, "Assertion tier is unknown"},
		{"other error", func(json.RawMessage, string) (any, error) { return nil, errors.New("db: 10.0.0.7 refused") }, 400, "Invalid assertion"},
		{"reserved claim", func(json.RawMessage, string) (any, error) { return map[string]any{"Scope": "admin"}, nil }, 500, ""},
		{"session kind", func(json.RawMessage, string) (any, error) { return map[string]any{"session_kind": "m2m"}, nil }, 500, ""},
		// encoding/json matches names with Unicode case folding: "ſcope"
		// (U+017F) and "session_\u212aind" (the Kelvin sign) would be read
		// as "scope" and "session_kind" by a verifier decoding into a struct.
		{"reserved claim, Unicode case fold", func(json.RawMessage, string) (any, error) {
			return map[string]any{"ſcope": "admin", "session_\u212aind": "m2m"}, nil
		}, 500, ""},
		{"not an object", func(json.RawMessage, string) (any, error) { return []string{"admin"}, nil }, 500, ""},
		{"not marshalable", func(json.RawMessage, string) (any, error) { return map[string]any{"c": make(chan int)}, nil }, 500, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.Assertion = tc.hook })
			w := f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "hook-1"), shopKey))
			require.Equal(t, tc.status, w.Code, w.Body.String())
			assert.NotContains(t, w.Body.String(), "10.0.0.7")
			assert.NotContains(t, w.Body.String(), "access_token")
			// Neither a refusal nor a token the endpoint failed to sign
			// uses up the assertion.
			fresh, err := f.replay.Use(context.Background(), "shop", "hook-1", time.Minute)
			require.NoError(t, err)
			assert.True(t, fresh, "the assertion's key was spent")
			if tc.status == http.StatusBadRequest {
				code, desc := oauthError(t, w)
				assert.Equal(t, "invalid_grant", code)
				assert.Equal(t, tc.desc, desc)
				assert.Equal(t, tokenendpoint.ReasonInvalidAssertion, f.audit.Last().Reason)
			}
		})
	}
	t.Run("the hook gets the claims and the replay key", func(t *testing.T) {
		var gotClaims, gotKey string
		f := newTokenFixture(t, func(c *tokenendpoint.Config) {
			c.Assertion = func(claims json.RawMessage, key string) (any, error) {
				gotClaims, gotKey = string(claims), key
				return struct {
					Tier string `json:"tier"`
				}{"gold"}, nil
			}
		})
		c := claimsAt(f.clock.Now(), "hook-2")
		c["notificationKey"] = 12345
		b := decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, c, shopKey)))
		assert.Equal(t, "12345", gotKey, "an integer replay claim as its decimal digits")
		assert.JSONEq(t, mustJSON(t, c), gotClaims)
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+b.AccessToken)
		var tier any
		f.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := tokenendpoint.CheckSession(r, tokenendpoint.SessionClient)
			require.NoError(t, err)
			tier, _ = s.Claims.Get("tier")
		})).ServeHTTP(newRecorder(), r)
		assert.Equal(t, "gold", tier)
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestReplayClaimConfig: New refuses a ReplayClaim that cannot name a
// claim, or names one the endpoint reads itself.
func TestReplayClaimConfig(t *testing.T) {
	clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
	require.NoError(t, err)
	for _, claim := range []string{"iat", "IAT", "exp", "nbf", "iss", "sub", "Aud", `a"b`, "a,omitempty", "a b", "ключ"} {
		_, err := tokenendpoint.New(tokenendpoint.Config{Issuer: "vouchers", Key: tokenendpoint.SigningKey{Key: testSecret}, Clients: clients, ReplayClaim: claim})
		assert.ErrorIs(t, err, tokenendpoint.ErrConfig, "%q", claim)
	}
	for _, claim := range []string{"jti", "notificationKey", "tx-id", "urn:x.y_z"} {
		_, err := tokenendpoint.New(tokenendpoint.Config{Issuer: "vouchers", Key: tokenendpoint.SigningKey{Key: testSecret}, Clients: clients, ReplayClaim: claim})
		assert.NoError(t, err, "%q", claim)
	}
}

// TestConfigReportsEveryProblem: New names every problem of a
// configuration at once.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := tokenendpoint.New(tokenendpoint.Config{TokenType: "jwt", AccessTTL: -1, ReplayClaim: "iat"})
	require.ErrorIs(t, err, tokenendpoint.ErrConfig)
	for _, want := range []string{"Issuer", "Clients", "TokenType", "negative", "ReplayClaim"} {
		assert.ErrorContains(t, err, want)
	}
}

// TestAssertionHookNilClaims: over loopback, a hook that returns a nil
// map or a nil pointer (no claims for this assertion) grants a session
// without application claims, as a nil interface does; it was refused
// with 500, since they marshal to null.
func TestAssertionHookNilClaims(t *testing.T) {
	type claims struct {
		Tier string `json:"tier"`
	}
	for name, none := range map[string]any{"nil map": map[string]any(nil), "nil pointer": (*claims)(nil), "nil": nil} {
		t.Run(name, func(t *testing.T) {
			f := newTokenFixture(t, func(c *tokenendpoint.Config) {
				c.ReplayClaim = ""
				c.Assertion = func(json.RawMessage, string) (any, error) { return none, nil }
			})
			srv := httptest.NewServer(f.mux)
			defer srv.Close()
			a := jws(t, jwtHeader, map[string]any{"iat": f.clock.Now().Unix(), "jti": "nil-1"}, shopKey)
			res, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {tokenendpoint.GrantJWTBearer}, "client_id": {"shop"}, "assertion": {a}})
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			var b tokenBody
			require.NoError(t, json.NewDecoder(res.Body).Decode(&b))
			assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionClient, ClientID: "shop"}, f.verify(t, b.AccessToken), "no application claims")
		})
	}
}
