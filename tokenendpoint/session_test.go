package tokenendpoint_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequireSession(t *testing.T) {
	f := newTokenFixture(t)
	m2m := decodeToken(t, f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})).AccessToken
	client := decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "guard"), shopKey))).AccessToken
	// A token of the same key, issuer and audience without a session
	// kind, as the issuer's Login answers.
	login := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://rewards.example", "aud": "rewardstore-api", "sub": "partner", "jti": "j-1",
		"iat": f.clock.Now().Unix(), "exp": f.clock.Now().Add(time.Hour).Unix(), "client_id": "654321",
	})
	login.Header["typ"] = "at+jwt"
	loginToken, err := login.SignedString(testSecret)
	require.NoError(t, err)

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	route := func(kind tokenendpoint.SessionKind) http.Handler {
		return gatehouse.Chain(f.auth.Middleware, tokenendpoint.RequireSession(kind))(ok)
	}
	apiKey := func(next http.Handler) http.Handler { // what the apikey middleware stores
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := gatehouse.Principal{Subject: "shop", Method: gatehouse.MethodAPIKey, TokenID: "key-1"}
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
		})
	}
	cases := []struct {
		name    string
		handler http.Handler
		token   string
		status  int
	}{
		{"m2m on an m2m route", route(tokenendpoint.SessionM2M), m2m, 204},
		{"client on a client route", route(tokenendpoint.SessionClient), client, 204},
		{"client on an m2m route", route(tokenendpoint.SessionM2M), client, 403},
		{"m2m on a client route", route(tokenendpoint.SessionClient), m2m, 403},
		{"login token on an m2m route", route(tokenendpoint.SessionM2M), loginToken, 403},
		{"no token", route(tokenendpoint.SessionClient), "", 401},
		{"api key alone on a client route", gatehouse.Chain(apiKey, tokenendpoint.RequireSession(tokenendpoint.SessionClient))(ok), "", 403},
		{"api key alone on an m2m route", gatehouse.Chain(apiKey, tokenendpoint.RequireSession(tokenendpoint.SessionM2M))(ok), "", 403},
		{"no principal at all", tokenendpoint.RequireSession(tokenendpoint.SessionM2M)(ok), "", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := serveWithToken(tc.handler, tc.token)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
		})
	}
}

// serveWithToken serves a POST with token as its bearer token ("" for
// none) and returns the answer.
func serveWithToken(h http.Handler, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/v2/x", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestEndpointRequireSessionChecksIssuer: behind a bearer middleware that
// trusts a second issuer, a token of that issuer carrying a session_kind
// claim passes the package's RequireSession (which trusts every issuer
// the middleware trusts) but not the Endpoint's, which admits only the
// sessions the endpoint issued.
func TestEndpointRequireSessionChecksIssuer(t *testing.T) {
	f := newTokenFixture(t)
	m2m := decodeToken(t, f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})).AccessToken
	cfg := f.ep.BearerConfig(bearer.NewMemoryRevocations(nil))
	require.Len(t, cfg.Issuers, 1)
	other := cfg.Issuers[0]
	other.URL = "https://idp.example"
	cfg.Issuers = append(cfg.Issuers, other)
	auth, err := bearer.New(cfg)
	require.NoError(t, err)

	foreign := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": other.URL, "aud": "rewardstore-api", "sub": "shop", "jti": "j-1", "client_id": "shop",
		"iat": f.clock.Now().Unix(), "exp": f.clock.Now().Add(time.Hour).Unix(),
		tokenendpoint.ClaimSessionKind: string(tokenendpoint.SessionM2M),
	})
	foreign.Header["typ"] = "at+jwt"
	foreignToken, err := foreign.SignedString(testSecret)
	require.NoError(t, err)

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	byPackage := gatehouse.Chain(auth.Middleware, tokenendpoint.RequireSession(tokenendpoint.SessionM2M))(ok)
	byEndpoint := gatehouse.Chain(auth.Middleware, f.ep.RequireSession(tokenendpoint.SessionM2M))(ok)
	for _, c := range []struct {
		name    string
		handler http.Handler
		token   string
		status  int
	}{
		{"the endpoint's session, package check", byPackage, m2m, http.StatusNoContent},
		{"the endpoint's session, endpoint check", byEndpoint, m2m, http.StatusNoContent},
		{"another issuer's token, package check", byPackage, foreignToken, http.StatusNoContent},
		{"another issuer's token, endpoint check", byEndpoint, foreignToken, http.StatusForbidden},
		{"no token, endpoint check", byEndpoint, "", http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := serveWithToken(c.handler, c.token)
			assert.Equal(t, c.status, w.Code, w.Body.String())
		})
	}
}
