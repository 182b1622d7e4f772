package blackbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Config.Custom refuses a claim set in which two members decode into one
// field of the application's type (encoding/json matches names
// case-insensitively and keeps the last), and CustomFrom hands every
// caller its own copy of the cached claims.
func TestCustomClaimsProbe(t *testing.T) {
	type untagged struct{ Sub, Role string }
	var seen []string
	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"},
		Custom:    bearer.Custom[appClaims](func(context.Context, *appClaims) error { return nil }),
	})
	require.NoError(t, err)
	srv := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := bearer.CustomFrom[appClaims](r.Context())
		_, _ = w.Write([]byte(c.Role + "|" + c.Roles[0]))
		c.Role, c.Roles[0] = "admin", "admin" // a careless handler
	})))
	defer srv.Close()
	for _, claims := range []string{
		`"role":"user","roles":["user"],"ROLE":"admin"`,
		`"role":"user","roles":["user"],"Role":"admin"`,
		`"role":"user","roles":["user"],"r\u006fle":"admin"`,
		`"ROLE":"admin","roles":["user"],"role":"user"`,
		`"roles":["user"],"Roles":["admin"],"role":"user"`,
	} {
		res := do(t, nil, "GET", srv.URL, bearerH(forged(t, claims)), "")
		assert.Equal(t, 401, res.status, "%s: %s", claims, res.body)
		assert.Contains(t, res.header.Get("WWW-Authenticate"), `error="invalid_token"`, claims)
	}
	res := do(t, nil, "GET", srv.URL, bearerH(forged(t, `"role":"user","roles":["user"],"other":{"a":1,"A":2}`)), "")
	assert.Equal(t, "user|user", res.body, "members outside C are not its fields")

	tok := forged(t, `"jti":"c2","role":"user","roles":["user"]`)
	do(t, nil, "GET", srv.URL, bearerH(tok), "")
	res = do(t, nil, "GET", srv.URL, bearerH(tok), "")
	assert.Equal(t, "user|user", res.body, "a handler changed the cached custom claims")

	// An application type with untagged fields still matches claim names
	// case-insensitively; only two members for one field are refused.
	auth2, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"},
		Custom:    bearer.Custom[untagged](func(_ context.Context, c *untagged) error { seen = append(seen, c.Sub+"/"+c.Role); return nil }),
	})
	require.NoError(t, err)
	srv2 := httptest.NewServer(auth2.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv2.Close()
	assert.Equal(t, 200, do(t, nil, "GET", srv2.URL, bearerH(forged(t, `"role":"user"`)), "").status)
	assert.Equal(t, []string{"alice/user"}, seen)
	assert.Equal(t, 401, do(t, nil, "GET", srv2.URL, bearerH(forged(t, `"role":"user","SUB":"root"`)), "").status, "sub and SUB")
}
