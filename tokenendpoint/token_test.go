package tokenendpoint_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenClientCredentials(t *testing.T) {
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"shop"}, "client_secret": {shopSecret}}.Encode()
	cases := []struct {
		name string
		ct   string
		body string
		hdr  []string
	}{
		{"json as in the seed", "application/json", `{"grant_type": "client_credentials", "client_id": "shop", "client_secret": "` + shopSecret + `"}`, nil},
		{"json with charset and unknown members", "application/json; charset=utf-8", `{"grant_type":"client_credentials","client_id":"shop","client_secret":"` + shopSecret + `","audience":"x"}`, nil},
		{"form", "application/x-www-form-urlencoded", form, nil},
		{"basic with form", "application/x-www-form-urlencoded", "grant_type=client_credentials", []string{"Authorization", basic("shop", shopSecret)}},
		{"basic with json", "application/json", `{"grant_type":"client_credentials"}`, []string{"Authorization", basic("shop", shopSecret)}},
		{"basic and the same client_id in the body", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=shop", []string{"Authorization", basic("shop", shopSecret)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t)
			w := f.post(tc.ct, tc.body, tc.hdr...)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			b := decodeToken(t, w)
			assert.Equal(t, "Bearer", b.TokenType)
			assert.Equal(t, 3600, b.ExpiresIn)
			assert.Equal(t, "vouchers:reserve vouchers:confirm", b.Scope)
			s := f.verify(t, b.AccessToken)
			assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionM2M, ClientID: "shop"}, s)

			ev := f.audit.Last()
			assert.Equal(t, "token", ev.Action)
			assert.Equal(t, "shop", ev.Subject)
			assert.Equal(t, "t-shop", ev.Tenant)
			assert.NotEmpty(t, ev.CredID)
		})
	}
}

func TestTokenClaimsOfSessions(t *testing.T) {
	f := newTokenFixture(t)
	b := decodeToken(t, f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "m2m-only", "client_secret": m2mSecret}))
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(b.AccessToken, claims, func(*jwt.Token) (any, error) { return testSecret, nil })
	require.NoError(t, err)
	assert.Equal(t, "svc-m2m", claims["sub"])
	assert.Equal(t, "m2m-only", claims["client_id"])
	assert.Equal(t, "m2m", claims["session_kind"])
	assert.NotContains(t, claims, "amount")
	assert.NotContains(t, claims, "scope")

	now := f.clock.Now()
	a := jws(t, jwtHeader, map[string]any{"amount": 12.5, "iat": now.Unix(), "notificationKey": "nk-1", "userId": "user-42", "forceManualConfirm": true}, shopKey)
	b = decodeToken(t, f.assertionGrant("shop", a))
	claims = jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(b.AccessToken, claims, func(*jwt.Token) (any, error) { return testSecret, nil })
	require.NoError(t, err)
	assert.Equal(t, "client", claims["session_kind"])
	assert.Equal(t, 12.5, claims["amount"])
	assert.Equal(t, "nk-1", claims["notificationKey"])
	assert.Equal(t, "user-42", claims["userId"])
	assert.Equal(t, true, claims["forceManualConfirm"])
	assert.Equal(t, "shop", claims["sub"])
	assert.Equal(t, "t-shop", claims["tenant"])
	assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionClient, ClientID: "shop", Amount: "12.5",
		NotificationKey: "nk-1", UserID: "user-42", ForceManualConfirm: true}, f.verify(t, b.AccessToken))
}

func TestTokenInvalidClientRevealsNothing(t *testing.T) {
	cases := []struct {
		name string
		body map[string]string
		hdr  []string
	}{
		{"wrong secret", map[string]string{"client_id": "shop", "client_secret": "wrong"}, nil},
		{"unknown client", map[string]string{"client_id": "nobody", "client_secret": shopSecret}, nil},
		{"client without a secret", map[string]string{"client_id": "app-only", "client_secret": "anything"}, nil},
		{"another client's secret", map[string]string{"client_id": "shop", "client_secret": m2mSecret}, nil},
		{"missing secret", map[string]string{"client_id": "shop"}, nil},
		{"missing client", map[string]string{}, nil},
		{"wrong secret in basic", map[string]string{}, []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("shop:wrong"))}},
	}
	var first string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t)
			tc.body["grant_type"] = "client_credentials"
			v := url.Values{}
			for k, s := range tc.body {
				v.Set(k, s)
			}
			w := f.post("application/x-www-form-urlencoded", v.Encode(), tc.hdr...)
			require.Equal(t, http.StatusUnauthorized, w.Code)
			assert.Equal(t, `Basic realm="vouchers", charset="UTF-8"`, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			code, _ := oauthError(t, w)
			assert.Equal(t, "invalid_client", code)
			if first == "" {
				first = w.Body.String()
			}
			assert.Equal(t, first, w.Body.String(), "one answer for every failure")
			assert.NotContains(t, w.Body.String(), "shop")
			ev := f.audit.Last()
			assert.Equal(t, "invalid_client", string(ev.Reason))
			assert.Empty(t, ev.Subject, "an unauthenticated client is not named")
		})
	}
}

func TestTokenThrottlesFailedClientAuthentication(t *testing.T) {
	f := newTokenFixture(t)
	bad := map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": "wrong"}
	for range 4 {
		require.Equal(t, http.StatusUnauthorized, f.postJSON(bad).Code)
	}
	assert.Equal(t, 4, f.throttle.Count(clientKey("shop")))
	assert.Equal(t, 4, f.throttle.Count("ip:127.0.0.1"))
	// A success clears the client's count, not the address's.
	decodeToken(t, f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret}))
	assert.Equal(t, 0, f.throttle.Count(clientKey("shop")))
	assert.Equal(t, 4, f.throttle.Count("ip:127.0.0.1"))

	// Bad assertion signatures count too.
	a := jws(t, jwtHeader, claimsAt(f.clock.Now(), "nk"), otherKey)
	assert.Equal(t, http.StatusBadRequest, f.assertionGrant("shop", a).Code)
	assert.Equal(t, 5, f.throttle.Count("ip:127.0.0.1"))
	w := f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	code, _ := oauthError(t, w)
	assert.Equal(t, "slow_down", code)
}

func TestTokenJWTBearer(t *testing.T) {
	f := newTokenFixture(t)
	now := f.clock.Now()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   sessionClaims
	}{
		{"seed claims", claimsAt(now, "12345"), sessionClaims{Amount: "100", NotificationKey: "12345"}},
		{"all claims", map[string]any{"amount": 250, "iat": now.Unix(), "notificationKey": "tx-2", "userId": "u-1", "forceManualConfirm": false},
			sessionClaims{Amount: "250", NotificationKey: "tx-2", UserID: "u-1"}},
		{"nulls are absent", map[string]any{"amount": 1, "iat": now.Unix(), "notificationKey": "tx-3", "userId": nil, "forceManualConfirm": nil},
			sessionClaims{Amount: "1", NotificationKey: "tx-3"}},
		{"iat at the window's edge", map[string]any{"amount": 1, "iat": now.Add(-5 * time.Minute).Unix(), "notificationKey": "tx-4"},
			sessionClaims{Amount: "1", NotificationKey: "tx-4"}},
		{"iat within the leeway", map[string]any{"amount": 1, "iat": now.Add(30 * time.Second).Unix(), "notificationKey": "tx-5"},
			sessionClaims{Amount: "1", NotificationKey: "tx-5"}},
		{"fractional iat, iss and sub, exp ahead", map[string]any{"amount": 0.01, "iat": float64(now.Unix()) + 0.5, "notificationKey": "tx-6",
			"iss": "shop", "sub": "shop", "exp": now.Add(time.Minute).Unix(), "nbf": now.Unix()},
			sessionClaims{Amount: "0.01", NotificationKey: "tx-6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.assertionGrant("shop", jws(t, jwtHeader, tc.claims, shopKey))
			b := decodeToken(t, w)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			tc.want.Kind, tc.want.ClientID = tokenendpoint.SessionClient, "shop"
			assert.Equal(t, tc.want, f.verify(t, b.AccessToken))
		})
	}
	t.Run("form body and no typ header", func(t *testing.T) {
		a := jws(t, map[string]any{"alg": "HS256"}, claimsAt(now, "form-1"), appOnlyKey)
		w := f.post("application/x-www-form-urlencoded", url.Values{"grant_type": {tokenendpoint.GrantJWTBearer}, "client_id": {"app-only"}, "assertion": {a}}.Encode())
		assert.Equal(t, "app-only", f.verify(t, decodeToken(t, w).AccessToken).ClientID)
	})
}

func TestTokenJWTBearerRefusals(t *testing.T) {
	f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.MaxBodyBytes = 16 << 10 }) // so that the 4 KiB assertion cap is reached
	now := f.clock.Now()
	with := func(k string, v any) map[string]any {
		c := claimsAt(now, "nk-"+k)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	good := func(c map[string]any) string { return jws(t, jwtHeader, c, shopKey) }
	hs256 := jws(t, jwtHeader, claimsAt(now, "x"), shopKey)
	parts := strings.Split(hs256, ".")

	cases := []struct {
		name      string
		client    string
		assertion string
		status    int
		code      string
		desc      string
	}{
		{"wrong secret", "shop", jws(t, jwtHeader, claimsAt(now, "a"), otherKey), 400, "invalid_grant", "Invalid assertion"},
		{"unknown client", "nobody", good(claimsAt(now, "b")), 400, "invalid_grant", "Invalid assertion"},
		{"client without an assertion key", "m2m-only", jws(t, jwtHeader, claimsAt(now, "c"), shopKey), 400, "invalid_grant", "Invalid assertion"},
		{"alg none", "shop", jws(t, map[string]any{"typ": "JWT", "alg": "none"}, claimsAt(now, "d"), nil), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"alg None", "shop", jws(t, map[string]any{"alg": "None"}, claimsAt(now, "d"), nil), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"alg HS512", "shop", jws(t, map[string]any{"typ": "JWT", "alg": "HS512"}, claimsAt(now, "e"), shopKey), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"alg HS384", "shop", jws(t, map[string]any{"alg": "HS384"}, claimsAt(now, "e"), shopKey), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"alg RS256", "shop", jws(t, map[string]any{"alg": "RS256"}, claimsAt(now, "e"), shopKey), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"alg missing", "shop", jws(t, map[string]any{"typ": "JWT"}, claimsAt(now, "e"), shopKey), 400, "invalid_grant", "Assertion must be signed with HS256"},
		{"typ at+jwt", "shop", jws(t, map[string]any{"typ": "at+jwt", "alg": "HS256"}, claimsAt(now, "f"), shopKey), 400, "invalid_grant", "Assertion typ must be JWT"},
		{"crit", "shop", jws(t, map[string]any{"alg": "HS256", "crit": []string{"exp"}}, claimsAt(now, "g"), shopKey), 400, "invalid_grant", "Assertion has unsupported critical header parameters"},
		{"two segments", "shop", parts[0] + "." + parts[1], 400, "invalid_grant", "Assertion is not a compact JWS"},
		{"four segments", "shop", hs256 + ".x", 400, "invalid_grant", "Assertion is not a compact JWS"},
		{"padded header", "shop", parts[0] + "=." + parts[1] + "." + parts[2], 400, "invalid_grant", "Assertion is not a compact JWS"},
		{"truncated signature", "shop", parts[0] + "." + parts[1] + "." + parts[2][:20], 400, "invalid_grant", "Invalid assertion"},
		{"too long", "shop", strings.Repeat("a", 4<<10+1), 400, "invalid_grant", "Assertion is not a compact JWS"},
		{"payload not an object", "shop", jws(t, jwtHeader, []int{1}, shopKey), 400, "invalid_grant", "Assertion payload is not a JSON object"},
		{"stale iat", "shop", good(with("iat", now.Add(-5*time.Minute-time.Second).Unix())), 400, "invalid_grant", "Assertion is too old (iat)"},
		{"future iat", "shop", good(with("iat", now.Add(31*time.Second).Unix())), 400, "invalid_grant", "Assertion iat is in the future"},
		{"missing iat", "shop", good(with("iat", nil)), 400, "invalid_grant", "Assertion iat is required"},
		{"iat a string", "shop", good(with("iat", "1700000000")), 400, "invalid_grant", "Assertion iat must be a number of seconds"},
		{"expired exp", "shop", good(with("exp", now.Add(-time.Minute).Unix())), 400, "invalid_grant", "Assertion has expired (exp)"},
		{"future nbf", "shop", good(with("nbf", now.Add(time.Minute).Unix())), 400, "invalid_grant", "Assertion is not valid yet (nbf)"},
		{"iss of another client", "shop", good(with("iss", "other")), 400, "invalid_grant", "Assertion iss and sub must be the client_id"},
		{"missing notificationKey", "shop", good(with("notificationKey", nil)), 400, "invalid_grant", "Assertion notificationKey is required"},
		{"empty notificationKey", "shop", good(with("notificationKey", "")), 400, "invalid_grant", "Assertion notificationKey is required"},
		{"notificationKey a float", "shop", good(with("notificationKey", 12345.5)), 400, "invalid_grant", "Assertion notificationKey must be a string or an integer of at most 256 bytes"},
		{"notificationKey too long", "shop", good(with("notificationKey", strings.Repeat("k", 257))), 400, "invalid_grant", "Assertion notificationKey must be a string or an integer of at most 256 bytes"},
		{"missing amount", "shop", good(with("amount", nil)), 400, "invalid_grant", "Assertion amount is required"},
		{"amount zero", "shop", good(with("amount", 0)), 400, "invalid_grant", "Assertion amount must be a positive number"},
		{"amount negative", "shop", good(with("amount", -5)), 400, "invalid_grant", "Assertion amount must be a positive number"},
		{"amount a string", "shop", good(with("amount", "100")), 400, "invalid_grant", "Assertion amount must be a positive number"},
		{"amount a boolean", "shop", good(with("amount", true)), 400, "invalid_grant", "Assertion amount must be a positive number"},
		{"amount overflows", "shop", good(with("amount", jsonNumber("1e999"))), 400, "invalid_grant", "Assertion amount must be a positive number"},
		{"userId a float", "shop", good(with("userId", 42.5)), 400, "invalid_grant", "Assertion userId must be a string or an integer of at most 256 bytes"},
		{"forceManualConfirm a string", "shop", good(with("forceManualConfirm", "true")), 400, "invalid_grant", "Assertion forceManualConfirm must be a boolean"},
		{"forceManualConfirm a number", "shop", good(with("forceManualConfirm", 1)), 400, "invalid_grant", "Assertion forceManualConfirm must be a boolean"},
		{"missing client_id", "", good(claimsAt(now, "h")), 400, "invalid_request", "client_id is required"},
		{"missing assertion", "shop", "", 400, "invalid_request", "assertion is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.assertionGrant(tc.client, tc.assertion)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			code, desc := oauthError(t, w)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.desc, desc)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Empty(t, w.Header().Get("WWW-Authenticate"))
		})
	}

	t.Run("replayed notificationKey", func(t *testing.T) {
		a := good(claimsAt(now, "once"))
		decodeToken(t, f.assertionGrant("shop", a))
		for _, again := range []string{a, good(map[string]any{"amount": 5, "iat": now.Unix() - 1, "notificationKey": "once"})} {
			w := f.assertionGrant("shop", again)
			require.Equal(t, http.StatusBadRequest, w.Code)
			code, desc := oauthError(t, w)
			assert.Equal(t, "invalid_grant", code)
			assert.Equal(t, "Assertion notificationKey was already used", desc)
			assert.Equal(t, "assertion_replayed", string(f.audit.Last().Reason))
		}
		// Another client may use the same key.
		decodeToken(t, f.assertionGrant("app-only", jws(t, jwtHeader, claimsAt(now, "once"), appOnlyKey)))
	})

	t.Run("a refused assertion does not consume its key", func(t *testing.T) {
		c := claimsAt(now, "kept")
		c["amount"] = 0
		require.Equal(t, http.StatusBadRequest, f.assertionGrant("shop", good(c)).Code)
		decodeToken(t, f.assertionGrant("shop", good(claimsAt(now, "kept"))))
	})

	t.Run("client_secret with the jwt-bearer grant", func(t *testing.T) {
		w := f.postJSON(map[string]string{"grant_type": tokenendpoint.GrantJWTBearer, "client_id": "shop", "client_secret": shopSecret, "assertion": good(claimsAt(now, "i"))})
		require.Equal(t, http.StatusBadRequest, w.Code)
		code, _ := oauthError(t, w)
		assert.Equal(t, "invalid_request", code)
	})
}

// jsonNumber is a raw JSON number literal for claims.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

func TestTokenReplayForgottenAfterTheWindow(t *testing.T) {
	f := newTokenFixture(t)
	now := f.clock.Now()
	decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(now, "late"), shopKey)))
	f.clock.Add(5*time.Minute + 30*time.Second + time.Second) // the window, the leeway and the replay margin
	// The old assertion is stale by now, so forgetting its key is safe.
	w := f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(now, "late"), shopKey))
	code, desc := oauthError(t, w)
	assert.Equal(t, "invalid_grant", code)
	assert.Equal(t, "Assertion is too old (iat)", desc)
	decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "late"), shopKey)))
}

// An assertion whose iat is the leeway ahead is accepted until the window
// after its iat, that instant included: its key must still be held then.
func TestTokenReplayAtTheWindowsEdge(t *testing.T) {
	f := newTokenFixture(t)
	iat := f.clock.Now().Add(30 * time.Second) // the default leeway ahead
	a := jws(t, jwtHeader, map[string]any{"amount": 100, "iat": iat.Unix(), "notificationKey": "edge"}, shopKey)
	decodeToken(t, f.assertionGrant("shop", a))
	f.clock.Add(30*time.Second + 5*time.Minute) // iat + the default window
	code, _ := oauthError(t, f.assertionGrant("shop", a))
	assert.Equal(t, "invalid_grant", code)
	assert.Equal(t, tokenendpoint.ReasonAssertionReplayed, f.audit.Last().Reason)
}

func TestTokenRequestRefusals(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("shop:"+shopSecret))
	cases := []struct {
		name   string
		ct     string
		body   string
		hdr    []string
		status int
		code   string
	}{
		{"missing grant_type", "application/json", `{"client_id":"shop","client_secret":"x"}`, nil, 400, "invalid_request"},
		{"unknown grant_type", "application/json", `{"grant_type":"password","client_id":"shop"}`, nil, 400, "unsupported_grant_type"},
		{"authorization_code", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x", nil, 400, "unsupported_grant_type"},
		{"repeated parameter", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=shop&client_id=other&client_secret=x", nil, 400, "invalid_request"},
		{"two authentication methods", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_secret=" + shopSecret, []string{"Authorization", basic}, 400, "invalid_request"},
		{"bearer authorization (RFC 6749 §5.2: unsupported method)", "application/json", `{"grant_type":"client_credentials"}`, []string{"Authorization", "Bearer abc"}, 401, "invalid_client"},
		{"digest authorization", "application/json", `{"grant_type":"client_credentials"}`, []string{"Authorization", "Digest x"}, 401, "invalid_client"},
		{"malformed basic", "application/json", `{"grant_type":"client_credentials"}`, []string{"Authorization", "Basic %%%"}, 400, "invalid_request"},
		{"basic user differs from client_id", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=other", []string{"Authorization", basic}, 400, "invalid_request"},
		{"text/plain", "text/plain", "grant_type=client_credentials", nil, 415, "invalid_request"},
		{"no content type", "", "grant_type=client_credentials", nil, 415, "invalid_request"},
		{"json not an object", "application/json", `["client_credentials"]`, nil, 400, "invalid_request"},
		{"json wrong member type", "application/json", `{"grant_type":"client_credentials","client_id":123,"client_secret":"x"}`, nil, 400, "invalid_request"},
		{"malformed json", "application/json", `{"grant_type":`, nil, 400, "invalid_request"},
		{"empty form", "application/x-www-form-urlencoded", "", nil, 400, "invalid_request"},
		{"malformed form", "application/x-www-form-urlencoded", "grant_type=%zz", nil, 400, "invalid_request"},
		{"body too large", "application/x-www-form-urlencoded", "grant_type=client_credentials&pad=" + strings.Repeat("a", 5000), nil, 413, "invalid_request"},
		{"client_id too long", "application/json", `{"grant_type":"client_credentials","client_id":"` + strings.Repeat("c", 257) + `","client_secret":"x"}`, nil, 400, "invalid_request"},
		{"scope beyond the client's", "application/json", `{"grant_type":"client_credentials","client_id":"shop","client_secret":"` + shopSecret + `","scope":"admin"}`, nil, 400, "invalid_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t)
			w := f.post(tc.ct, tc.body, tc.hdr...)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			code, _ := oauthError(t, w)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			if tc.status == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic realm="), w.Header().Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("two Authorization headers", func(t *testing.T) {
		f := newTokenFixture(t)
		r := httptest.NewRequest("POST", "/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header["Authorization"] = []string{basic, "Basic " + base64.StdEncoding.EncodeToString([]byte("other:x"))}
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		code, _ := oauthError(t, w)
		assert.Equal(t, "invalid_request", code)
	})
}

func TestTokenScopeNarrowing(t *testing.T) {
	f := newTokenFixture(t)
	b := decodeToken(t, f.post("application/x-www-form-urlencoded", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"shop"}, "client_secret": {shopSecret}, "scope": {"vouchers:confirm"}}.Encode()))
	assert.Equal(t, "vouchers:confirm", b.Scope)
}

// TestTokenScopeOfWhiteSpaceIsOmitted: over loopback, a scope of white
// space only counts as omitted, and the white space around a scope is
// ignored, in a JSON body as in a form: the same request grants the same
// scopes in either encoding. In JSON, " " granted a session without any
// scope and "\tvouchers:confirm" was invalid_scope.
func TestTokenScopeOfWhiteSpaceIsOmitted(t *testing.T) {
	f := newTokenFixture(t)
	srv := httptest.NewServer(f.mux)
	defer srv.Close()
	grant := func(res *http.Response, err error) tokenBody {
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		var b tokenBody
		require.NoError(t, json.NewDecoder(res.Body).Decode(&b))
		return b
	}
	for scope, want := range map[string]string{
		" ":                    "vouchers:reserve vouchers:confirm",
		"\t \r\n":              "vouchers:reserve vouchers:confirm",
		" vouchers:confirm\t":  "vouchers:confirm",
		"\tvouchers:confirm  ": "vouchers:confirm",
	} {
		form := grant(http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"shop"}, "client_secret": {shopSecret}, "scope": {scope}}))
		body, err := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret, "scope": scope})
		require.NoError(t, err)
		js := grant(http.Post(srv.URL+"/token", "application/json", bytes.NewReader(body)))
		assert.Equal(t, want, form.Scope, "form %q", scope)
		assert.Equal(t, want, js.Scope, "JSON %q", scope)
	}
}

func TestTokenStoreFailuresFailClosed(t *testing.T) {
	t.Run("client store", func(t *testing.T) {
		f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.Clients = failingClients{} })
		for _, w := range []*recorder{
			f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret}),
			f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "s"), shopKey)),
		} {
			require.Equal(t, http.StatusServiceUnavailable, w.Code)
			code, _ := oauthError(t, w)
			assert.Equal(t, "temporarily_unavailable", code)
			assert.NotContains(t, w.Body.String(), "10.0.0.7")
		}
	})
	t.Run("replay store", func(t *testing.T) {
		f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.Replay = failingReplay{} })
		w := f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "s"), shopKey))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "redis")
		assert.Equal(t, gatehouse.ReasonStoreUnavailable, f.audit.Last().Reason)
	})
	t.Run("throttle", func(t *testing.T) {
		f := newTokenFixture(t)
		f.throttle.Err = envelope.ErrUnavailable
		w := f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
	})
}

func TestTokenAuditCarriesNoSecrets(t *testing.T) {
	f := newTokenFixture(t)
	a := jws(t, jwtHeader, claimsAt(f.clock.Now(), "audit"), shopKey)
	f.assertionGrant("shop", a)
	f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})
	f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": "wrong-secret"})
	evs := f.audit.All()
	require.Len(t, evs, 3)
	for _, ev := range evs {
		s := strings.Join([]string{ev.Subject, ev.Tenant, ev.CredID, string(ev.Reason), ev.Action}, "|")
		for _, secret := range []string{shopSecret, "wrong-secret", a, string(shopKey), "audit"} {
			assert.NotContains(t, s, secret)
		}
	}
}

func TestTokenConfiguration(t *testing.T) {
	clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
	require.NoError(t, err)
	base := tokenendpoint.Config{Issuer: "vouchers", Key: tokenendpoint.SigningKey{Key: testSecret}, Clients: clients}

	for name, mod := range map[string]func(*tokenendpoint.Config){
		"no clients":            func(c *tokenendpoint.Config) { c.Clients = nil },
		"negative window":       func(c *tokenendpoint.Config) { c.AssertionWindow = -time.Second },
		"leeway beyond window":  func(c *tokenendpoint.Config) { c.AssertionWindow, c.AssertionLeeway = time.Minute, 2*time.Minute },
		"session ttl below 1 s": func(c *tokenendpoint.Config) { c.AccessTTL = time.Millisecond },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := base
			mod(&cfg)
			_, err := tokenendpoint.New(cfg)
			require.ErrorIs(t, err, tokenendpoint.ErrConfig)
		})
	}
	t.Run("session ttl and token style", func(t *testing.T) {
		cfg := base
		cfg.AccessTTL, cfg.Style = 10*time.Minute, envelope.Nested
		ep, err := tokenendpoint.New(cfg)
		require.NoError(t, err)
		w := serve(ep.ServeHTTP, newRequest("POST", "/token", `{"grant_type":"client_credentials","client_id":"shop","client_secret":"`+shopSecret+`"}`))
		assert.Equal(t, 600, decodeToken(t, w).ExpiresIn)
		w = serve(ep.ServeHTTP, newRequest("POST", "/token", `{"grant_type":"nope"}`))
		_, code, _ := errorBody(t, w)
		assert.Equal(t, "BAD_REQUEST", code)
	})
}

func newRequest(method, path, body string) *http.Request {
	r, err := http.NewRequest(method, path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("Content-Type", "application/json")
	return r
}

func serve(h http.HandlerFunc, r *http.Request) *recorder {
	w := newRecorder()
	h(w, r)
	return w
}

// TestTokenWrongScopeKeepsNotificationKey is the regression test for a
// jwt-bearer request with a scope outside the client's burning the
// assertion's notificationKey: invalid_scope must leave the transaction
// retryable with the right scope.
func TestTokenWrongScopeKeepsNotificationKey(t *testing.T) {
	f := newTokenFixture(t)
	a := jws(t, jwtHeader, claimsAt(f.clock.Now(), "retry-1"), shopKey)
	grant := func(scope string) *recorder {
		return f.postJSON(map[string]string{"grant_type": tokenendpoint.GrantJWTBearer, "client_id": "shop", "assertion": a, "scope": scope})
	}
	w := grant("admin")
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	code, _ := oauthError(t, w)
	require.Equal(t, "invalid_scope", code)
	b := decodeToken(t, grant("vouchers:reserve"))
	assert.Equal(t, "vouchers:reserve", b.Scope)
	code, _ = oauthError(t, grant("vouchers:reserve"))
	assert.Equal(t, "invalid_grant", code, "the key is used once granted")
}

// TestTokenAssertionAudience is the regression test for assertions whose
// "aud" was never checked (RFC 7523 §3): an aud naming another server is
// refused; an absent one stays accepted, as seed 002's assertions carry
// none.
func TestTokenAssertionAudience(t *testing.T) {
	const tokenURL = "https://rewards.example/v2/token"
	for _, tc := range []struct {
		name  string
		cfg   []string // Config.AssertionAudiences
		aud   any      // nil: absent
		grant bool
	}{
		{"absent (seed 002)", nil, nil, true},
		{"null", nil, jsonNumber("null"), true},
		{"the issuer", nil, "https://rewards.example", true},
		{"array with the issuer", nil, []string{"https://other.example", "https://rewards.example"}, true},
		{"another server", nil, "https://other.example", false},
		{"array without the issuer", nil, []string{"https://other.example"}, false},
		{"empty array", nil, []string{}, false},
		{"a number", nil, 42, false},
		{"array with a number", nil, []any{"https://rewards.example", 42}, false},
		{"configured token URL", []string{tokenURL}, tokenURL, true},
		{"issuer when only the token URL is configured", []string{tokenURL}, "https://rewards.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.AssertionAudiences = tc.cfg })
			c := claimsAt(f.clock.Now(), "aud-1")
			if tc.aud != nil {
				c["aud"] = tc.aud
			}
			w := f.assertionGrant("shop", jws(t, jwtHeader, c, shopKey))
			if tc.grant {
				decodeToken(t, w)
				return
			}
			require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			code, desc := oauthError(t, w)
			assert.Equal(t, "invalid_grant", code)
			assert.Equal(t, "Assertion aud does not name this server", desc)
			// The refusal spends nothing: the key is still usable.
			decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "aud-1"), shopKey)))
		})
	}
	t.Run("empty member refused by New", func(t *testing.T) {
		clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
		require.NoError(t, err)
		_, err = tokenendpoint.New(tokenendpoint.Config{Issuer: "vouchers", Key: tokenendpoint.SigningKey{Key: testSecret},
			Clients: clients, AssertionAudiences: []string{""}})
		require.ErrorContains(t, err, "AssertionAudience")
	})
}
