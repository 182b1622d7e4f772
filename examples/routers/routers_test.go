package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

type answer struct {
	Status      int
	Challenge   string
	ContentType string
	Body        string
}

func get(t *testing.T, srv *httptest.Server, path, authorization string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	c := srv.Client()
	c.Timeout = 10 * time.Second
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Content-Type"), string(body)}
}

func signed(t *testing.T, key []byte, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	require.NoError(t, err)
	return tok
}

// TestRoutersAnswerAlike serves the API on each router with the guards
// the command uses, and checks that every router answers every request of
// the table exactly as the standard mux does: status, challenge, content
// type and body.
func TestRoutersAnswerAlike(t *testing.T) {
	key := newKey()
	guards, err := newGuards(key, envelope.Recover(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	now := time.Now()
	reader, err := mint(key, "reader", now)
	require.NoError(t, err)
	clerk, err := mint(key, "clerk", now)
	require.NoError(t, err)
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "clerk", "scope": "orders:read", "exp": now.Add(time.Hour).Unix()}
		change(c)
		return c
	}
	otherKey := signed(t, []byte("another-key-another-key-32-bytes"), claims(func(jwt.MapClaims) {}))
	expired := signed(t, key, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }))
	otherAudience := signed(t, key, claims(func(c jwt.MapClaims) { c["aud"] = "another-api" }))

	cases := []struct {
		name, path, authorization string
		status                    int
	}{
		{"whoami, no token", "/api/v1/whoami", "", 401},
		{"whoami, reader", "/api/v1/whoami", "Bearer " + reader, 200},
		{"whoami, clerk", "/api/v1/whoami", "Bearer " + clerk, 200},
		{"whoami, another key", "/api/v1/whoami", "Bearer " + otherKey, 401},
		{"whoami, expired", "/api/v1/whoami", "Bearer " + expired, 401},
		{"whoami, another audience", "/api/v1/whoami", "Bearer " + otherAudience, 401},
		{"whoami, not a JWT", "/api/v1/whoami", "Bearer not-a-jwt", 401},
		{"whoami, Basic", "/api/v1/whoami", "Basic dXNlcjpwYXNz", 401},
		{"orders, no token", "/api/v1/orders", "", 401},
		{"orders, reader", "/api/v1/orders", "Bearer " + reader, 403},
		{"orders, clerk", "/api/v1/orders", "Bearer " + clerk, 200},
		{"orders, another key", "/api/v1/orders", "Bearer " + otherKey, 401},
	}

	std := httptest.NewServer(StdMux(guards))
	defer std.Close()
	want := map[string]answer{}
	for _, tc := range cases {
		a := get(t, std, tc.path, tc.authorization)
		require.Equal(t, tc.status, a.Status, "%s: %s", tc.name, a.Body)
		want[tc.name] = a
	}
	// What the standard mux answers is what the API should answer.
	assert.Equal(t, `Bearer realm="orders"`, want["whoami, no token"].Challenge)
	assert.JSONEq(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing bearer token"}}`, want["whoami, no token"].Body)
	assert.Contains(t, want["whoami, expired"].Challenge, `error="invalid_token"`)
	assert.Contains(t, want["orders, reader"].Challenge, `error="insufficient_scope"`)
	assert.Contains(t, want["orders, reader"].Body, `"code":"FORBIDDEN"`)
	var who struct {
		Data struct {
			Subject string   `json:"subject"`
			Scopes  []string `json:"scopes"`
			Method  string   `json:"method"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(want["whoami, clerk"].Body), &who))
	assert.Equal(t, "clerk", who.Data.Subject)
	assert.Equal(t, []string{"orders:read", "profile"}, who.Data.Scopes)
	assert.Equal(t, "jwt", who.Data.Method)
	assert.JSONEq(t, `{"success":true,"data":[{"id":1,"status":"paid"},{"id":2,"status":"fulfilled"}]}`, want["orders, clerk"].Body)

	for _, name := range routerNames() {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(routers[name](guards))
			defer srv.Close()
			for _, tc := range cases {
				assert.Equal(t, want[tc.name], get(t, srv, tc.path, tc.authorization), tc.name)
			}
		})
	}
}

// TestRoutersRecoverPanics: the Outer middleware (envelope.Recover) wraps
// every router's routes, and a panic in the middleware after the bearer
// check is answered with the same 500 everywhere, not a dropped connection.
func TestRoutersRecoverPanics(t *testing.T) {
	key := newKey()
	guards, err := newGuards(key, envelope.Recover(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	guards.ReadOrders = func(http.Handler) http.Handler {
		return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("scope store down") })
	}
	clerk, err := mint(key, "clerk", time.Now())
	require.NoError(t, err)
	for _, name := range routerNames() {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(routers[name](guards))
			defer srv.Close()
			a := get(t, srv, "/api/v1/orders", "Bearer "+clerk)
			assert.Equal(t, http.StatusInternalServerError, a.Status)
			assert.JSONEq(t, `{"error":{"name":"InternalServerError","code":"INTERNAL_ERROR","message":"Internal server error"}}`, a.Body)
			assert.Equal(t, 401, get(t, srv, "/api/v1/orders", "").Status, "the bearer check still comes first")
		})
	}
}
