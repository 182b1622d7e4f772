package issuer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequireSession(t *testing.T) {
	f := newTokenFixture(t)
	m2m := decodeToken(t, f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret})).AccessToken
	client := decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(f.clock.Now(), "guard"), shopKey))).AccessToken
	pair := f.login(t, "127.0.0.1", "partner", partnerPassword) // a login token: no session kind

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	route := func(kind issuer.SessionKind) http.Handler {
		return gatehouse.Chain(f.auth.Middleware, issuer.RequireSession(kind))(ok)
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
		{"m2m on an m2m route", route(issuer.SessionM2M), m2m, 204},
		{"client on a client route", route(issuer.SessionClient), client, 204},
		{"client on an m2m route", route(issuer.SessionM2M), client, 403},
		{"m2m on a client route", route(issuer.SessionClient), m2m, 403},
		{"login token on an m2m route", route(issuer.SessionM2M), pair.Data.AccessToken, 403},
		{"no token", route(issuer.SessionClient), "", 401},
		{"api key alone on a client route", gatehouse.Chain(apiKey, issuer.RequireSession(issuer.SessionClient))(ok), "", 403},
		{"api key alone on an m2m route", gatehouse.Chain(apiKey, issuer.RequireSession(issuer.SessionM2M))(ok), "", 403},
		{"no principal at all", issuer.RequireSession(issuer.SessionM2M)(ok), "", 401},
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

func TestSessionFromCustomClaims(t *testing.T) {
	p := gatehouse.Principal{Method: gatehouse.MethodJWT, Claims: bearer.NewClaims(map[string]any{
		"session_kind": "client", "client_id": "c", "amount": 1e21, "notificationKey": "k",
	})}
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(gatehouse.WithPrincipal(r.Context(), p))
	s, err := issuer.CheckSession(r, issuer.SessionClient)
	require.NoError(t, err)
	assert.Equal(t, "1000000000000000000000", string(s.Amount))

	p.Claims = bearer.NewClaims(map[string]any{"session_kind": "client", "client_id": "c", "amount": "100", "notificationKey": "k"})
	r = r.WithContext(gatehouse.WithPrincipal(r.Context(), p))
	_, err = issuer.CheckSession(r, issuer.SessionClient)
	require.ErrorIs(t, err, issuer.ErrWrongSession, "a client session without a numeric amount is no session")
}

// TestSessionAmountPrecision pins the precision SessionClaims.Amount
// documents: an assertion amount goes through the token as a JSON number
// and the bearer middleware's float64, so integers up to 2^53 and decimals
// to 15 significant digits come back as written, and a longer one comes
// back rounded.
func TestSessionAmountPrecision(t *testing.T) {
	f := newTokenFixture(t)
	for k, tc := range []struct{ sent, got string }{
		{"100", "100"},
		{"12.5", "12.5"},
		{"0.1", "0.1"},
		{"0.01", "0.01"},
		{"9007199254740992", "9007199254740992"},         // 2^53
		{"1234567890.12345", "1234567890.12345"},         // 15 significant digits
		{"9007199254740993", "9007199254740992"},         // 2^53 + 1: rounded
		{"9007199254740995", "9007199254740996"},         // the review's example
		{"12345678901234567890", "12345678901234567000"}, // beyond 2^53
	} {
		c := claimsAt(f.clock.Now(), "precision-"+string(rune('a'+k)))
		c["amount"] = jsonNumber(tc.sent)
		b := decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, c, shopKey)))
		assert.Equal(t, tc.got, string(f.verify(t, b.AccessToken).Amount), tc.sent)
	}
}
