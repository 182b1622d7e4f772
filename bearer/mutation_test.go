package bearer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// TestHandlerCannotChangeCachedPrincipal guards against a handler
// changing the cached Principal of a token: whatever a handler
// does to what it is given — append to or write into Scopes, write into
// the claims' arrays and objects, change the copy Claims.Map returns, or
// change the Principal Check returned — the next request with the same
// token, served from the cache, sees the original.
func TestHandlerCannotChangeCachedPrincipal(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	m := claimsAt(t0)
	m["aud"] = []string{"api://orders", "api://billing"}
	m["act"] = map[string]any{"sub": "support-7", "roles": []string{"read"}}
	tok := hs.sign(t, m, nil)

	type seen struct {
		Scopes []string
		Aud    any
		Act    any
		All    map[string]any
	}
	mux := http.NewServeMux()
	mux.Handle("GET /mutate", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		p.Scopes[0] = "admin"
		p.Scopes = append(p.Scopes, "root")
		claims, _ := ClaimsFrom(r.Context())
		aud, _ := claims.Get("aud")
		aud.([]any)[0] = "api://evil"
		act, _ := claims.Get("act")
		act.(map[string]any)["sub"] = "root"
		act.(map[string]any)["roles"].([]any)[0] = "admin"
		all := claims.Map()
		all["sub"] = "root"
		all["aud"].([]any)[1] = "api://evil"
		pc, _ := p.Claims.(Claims)
		inner := pc.Map()
		inner["scope"] = "admin"
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("GET /admin", a.Middleware(scopes.Require("admin")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))))
	mux.Handle("GET /read", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		claims, _ := ClaimsFrom(r.Context())
		aud, _ := claims.Get("aud")
		act, _ := claims.Get("act")
		_ = json.NewEncoder(w).Encode(seen{Scopes: p.Scopes, Aud: aud, Act: act, All: claims.Map()})
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for range 2 {
		res := getWithToken(t, srv.URL+"/mutate", tok)
		require.Equal(t, http.StatusNoContent, res.StatusCode)
	}
	p, err := a.Check(bearerRequest(tok)) // a cache hit
	require.NoError(t, err)
	p.Scopes[0] = "admin"

	assert.Equal(t, http.StatusForbidden, getWithToken(t, srv.URL+"/admin", tok).StatusCode, "no handler granted admin")

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/read", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	var got seen
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	assert.Equal(t, []string{"orders:read", "orders:write"}, got.Scopes)
	assert.Equal(t, []any{"api://orders", "api://billing"}, got.Aud)
	assert.Equal(t, map[string]any{"sub": "support-7", "roles": []any{"read"}}, got.Act)
	assert.Equal(t, "user-42", got.All["sub"])
	assert.Equal(t, "orders:read orders:write", got.All["scope"])
	assert.Equal(t, []any{"api://orders", "api://billing"}, got.All["aud"])
}

// TestClaims checks the read-only claim set: Get and Map give copies of
// arrays and objects, String reads strings only, NewClaims copies its
// input.
func TestClaims(t *testing.T) {
	in := map[string]any{"sub": "u", "n": 1.5, "aud": []any{"a", map[string]any{"x": []any{1.0}}}, "nil": nil}
	c := NewClaims(in)
	in["sub"] = "changed"
	in["aud"].([]any)[0] = "changed"

	s, ok := c.String("sub")
	assert.True(t, ok)
	assert.Equal(t, "u", s)
	_, ok = c.String("n")
	assert.False(t, ok)
	v, ok := c.Get("nil")
	assert.True(t, ok, "a null claim is present")
	assert.Nil(t, v)
	_, ok = c.Get("missing")
	assert.False(t, ok)
	assert.Equal(t, 4, c.Len())

	aud, _ := c.Get("aud")
	aud.([]any)[1].(map[string]any)["x"].([]any)[0] = 2.0
	again, _ := c.Get("aud")
	assert.Equal(t, []any{"a", map[string]any{"x": []any{1.0}}}, again)

	names := map[string]bool{}
	for name, v := range c.All() {
		names[name] = true
		if arr, ok := v.([]any); ok {
			arr[0] = "changed"
		}
	}
	assert.Len(t, names, 4)
	assert.Equal(t, map[string]any{"sub": "u", "n": 1.5, "aud": []any{"a", map[string]any{"x": []any{1.0}}}, "nil": nil}, c.Map())

	raw, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sub":"u","n":1.5,"aud":["a",{"x":[1]}],"nil":null}`, string(raw))

	var zero Claims
	assert.Zero(t, zero.Len())
	_, ok = zero.Get("sub")
	assert.False(t, ok)
	assert.Nil(t, zero.Map())
}
