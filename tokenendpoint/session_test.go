package tokenendpoint_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
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
			r := httptest.NewRequest("POST", "/v2/x", nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			tc.handler.ServeHTTP(w, r)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
		})
	}
}
