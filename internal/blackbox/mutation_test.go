package blackbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/scopes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vandal is a handler that changes everything it can reach from the
// request's Principal, then reports what it saw first.
func vandal(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	seen := map[string]any{"sub": p.Subject, "scopes": slices.Clone(p.Scopes)}
	if len(p.Scopes) > 0 {
		p.Scopes[0] = "admin"
	}
	p.Scopes = append(p.Scopes, "admin", "root")
	_ = append(p.Scopes[:0], "admin")
	p.Subject = "mallory"
	switch c := p.Claims.(type) {
	case bearer.Claims:
		if v, ok := c.Get("roles"); ok {
			b, _ := json.Marshal(v)
			seen["roles"] = string(b)
			if a, ok := v.([]any); ok && len(a) > 0 {
				a[0] = "admin"
			}
		}
		if v, ok := c.Get("obj"); ok {
			if m, ok := v.(map[string]any); ok {
				m["k"] = "admin"
				if in, ok := m["in"].([]any); ok && len(in) > 0 {
					in[0] = "admin"
				}
			}
		}
		m := c.Map()
		m["scope"] = "admin"
		if o, ok := m["obj"].(map[string]any); ok {
			o["k"] = "admin"
			if in, ok := o["in"].([]any); ok && len(in) > 0 {
				in[0] = "admin"
			}
		}
		for _, v := range c.All() {
			if a, ok := v.([]any); ok && len(a) > 0 {
				a[0] = "admin"
			}
			if o, ok := v.(map[string]any); ok {
				o["k"] = "admin"
			}
		}
		b, _ := json.Marshal(c)
		seen["claims"] = string(b)
	case apikey.RecordView:
		rec := c.Record()
		seen["surfaces"] = slices.Clone(rec.Surfaces)
		if len(rec.Scopes) > 0 {
			rec.Scopes[0] = "admin"
		}
		if len(rec.Surfaces) > 0 {
			rec.Surfaces[0] = "admin"
		}
	}
	if c, ok := bearer.ClaimsFrom(r.Context()); ok {
		if v, ok := c.Get("roles"); ok {
			if a, ok := v.([]any); ok && len(a) > 0 {
				a[0] = "admin"
			}
		}
	}
	if rec, ok := apikey.RecordFrom(r.Context()); ok {
		if len(rec.Scopes) > 0 {
			rec.Scopes[0] = "admin"
		}
		if len(rec.Surfaces) > 0 {
			rec.Surfaces[0] = "admin"
		}
	}
	if rec, ok := bearer.TokenRecordFrom(r.Context()); ok && len(rec.Scopes) > 0 {
		rec.Scopes[0] = "admin"
	}
	_ = json.NewEncoder(w).Encode(seen)
}

// Item 5: nothing a handler does to the Principal it is handed, or to
// anything reachable from it, changes what the next request with the same
// credential sees — for cached JWTs, opaque tokens and API keys.
func TestHandlersCannotChangeSharedPrincipals(t *testing.T) {
	ctx := context.Background()
	tokens := bearer.NewMemoryTokens()
	require.NoError(t, tokens.Add(ctx, "opaque-token-0123456789", bearer.TokenRecord{ID: "t1", Subject: "alice", Scopes: []string{"read"}}))
	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"}, Tokens: tokens,
	})
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("live")
	require.NoError(t, err)
	rec.Scopes, rec.Surfaces, rec.Subject = []string{"read"}, []string{"s1"}, "alice"
	require.NoError(t, keys.Put(ctx, rec))
	byKey, err := apikey.New(apikey.Config{Store: keys, Surface: "s1"})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle("/jwt", auth.Middleware(http.HandlerFunc(vandal)))
	mux.Handle("/jwt/admin", auth.Middleware(scopes.Require("admin")(http.HandlerFunc(vandal))))
	mux.Handle("/key", byKey.Middleware(http.HandlerFunc(vandal)))
	mux.Handle("/key/admin", byKey.Middleware(scopes.Require("admin")(http.HandlerFunc(vandal))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	jwt := forged(t, `"jti":"j1","scope":"read","roles":["user"],"obj":{"k":"v","in":["x"]}`)
	for _, c := range []struct {
		path string
		h    http.Header
	}{
		{"/jwt", bearerH(jwt)},
		{"/jwt", bearerH("opaque-token-0123456789")},
		{"/key", http.Header{"Apikey": {key}}},
	} {
		var first string
		for i := range 3 {
			res := do(t, nil, "GET", srv.URL+c.path, c.h, "")
			require.Equal(t, 200, res.status, res.body)
			if i == 0 {
				first = res.body
			}
			assert.Equal(t, first, res.body, "%s: request %d sees what the first saw", c.path, i+1)
			assert.NotContains(t, res.body, "admin", c.path)
			assert.NotContains(t, res.body, "mallory", c.path)
			assert.Equal(t, 403, do(t, nil, "GET", srv.URL+c.path+"/admin", c.h, "").status, "%s: no admin scope gained", c.path)
		}
	}
}
