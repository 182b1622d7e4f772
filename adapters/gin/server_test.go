package gatehousegin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
	"github.com/gatehouse-go/gatehouse/envelope"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, srv *httptest.Server, path string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := srv.Client()
	c.Timeout = 10 * time.Second
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// TestLoopbackServer serves a gin engine on a real loopback server, one
// group behind a real bearer Authenticator (HS256) with a scope check and
// one behind a real apikey Authenticator, with envelope.Recover and
// envelope.Use outermost.
func TestLoopbackServer(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	keys, key := newAPIKey(t, "supplier-1", "stock:write")
	reached := 0
	whoami := func(c *gin.Context) {
		reached++
		p, ok := gatehousegin.Principal(c)
		fromCtx, _ := gatehouse.PrincipalFrom(c.Request.Context())
		c.JSON(http.StatusOK, gin.H{"ok": ok, "subject": p.Subject, "method": p.Method, "same": fromCtx.Subject == p.Subject})
	}

	e := gin.New()
	e.Use(gatehousegin.Wrap(gatehouse.Chain(envelope.Recover(nil), envelope.Use(envelope.Flat))))
	jwtAPI := e.Group("/jwt", gatehousegin.Wrap(auth.Middleware))
	jwtAPI.GET("/whoami", whoami)
	jwtAPI.GET("/orders", gatehousegin.Wrap(enf.Require("orders:read")), whoami)
	keyAPI := e.Group("/key", gatehousegin.Wrap(keys.Middleware))
	keyAPI.GET("/whoami", whoami)

	srv := httptest.NewServer(e)
	defer srv.Close()

	reader, clerk := sign(t, secret, "reader", "profile"), sign(t, secret, "clerk", "orders:read")

	r := call(t, srv, "/jwt/whoami")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, `Bearer realm="api"`, r.header.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"success":false,"error":"Unauthorized","message":"Missing bearer token"}`, r.body)

	r = call(t, srv, "/jwt/whoami", "Authorization", "Bearer "+sign(t, []byte("another-secret-another-secret-32"), "mallory", ""))
	assert.Equal(t, 401, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)

	r = call(t, srv, "/jwt/orders", "Authorization", "Bearer "+reader)
	assert.Equal(t, 403, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	assert.Equal(t, 0, reached, "no refused request reached a handler")

	r = call(t, srv, "/key/whoami", "ApiKey", "ak_test_not-a-real-key")
	assert.Equal(t, 401, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `ApiKey realm="api"`)
	r = call(t, srv, "/key/whoami", "Authorization", "Bearer "+clerk)
	assert.Equal(t, 401, r.status, "a bearer token is not an API key")
	assert.Equal(t, 0, reached)

	var who struct {
		OK      bool   `json:"ok"`
		Subject string `json:"subject"`
		Method  string `json:"method"`
		Same    bool   `json:"same"`
	}
	r = call(t, srv, "/jwt/orders", "Authorization", "Bearer "+clerk)
	require.Equal(t, 200, r.status, r.body)
	require.NoError(t, json.Unmarshal([]byte(r.body), &who))
	assert.Equal(t, "clerk", who.Subject)
	assert.Equal(t, "jwt", who.Method)
	assert.True(t, who.OK && who.Same)

	r = call(t, srv, "/key/whoami", "ApiKey", key)
	require.Equal(t, 200, r.status, r.body)
	require.NoError(t, json.Unmarshal([]byte(r.body), &who))
	assert.Equal(t, "supplier-1", who.Subject)
	assert.Equal(t, "api_key", who.Method)
	assert.True(t, who.OK && who.Same)
	assert.Equal(t, 2, reached)
}

// TestNaiveAdapterFailsOpen shows why Wrap exists: the "two-line"
// adapter that runs the middleware with a next handler that only records
// the request lets gin go on to the protected handler after the refusal,
// whose output is appended to the 401. Wrap, on the same route, does not.
func TestNaiveAdapterFailsOpen(t *testing.T) {
	auth := newBearer(t)
	naive := func(mw func(http.Handler) http.Handler) gin.HandlerFunc {
		return func(c *gin.Context) {
			mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.Request = r })).ServeHTTP(c.Writer, c.Request)
		}
	}
	reached := 0
	secretData := func(c *gin.Context) { reached++; c.String(http.StatusOK, "SECRET") }
	e := gin.New()
	e.GET("/naive", naive(auth.Middleware), secretData)
	e.GET("/wrapped", gatehousegin.Wrap(auth.Middleware), secretData)
	srv := httptest.NewServer(e)
	defer srv.Close()

	r := call(t, srv, "/naive")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, 1, reached, "the naive adapter ran the protected handler")
	assert.Equal(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing bearer token"}}SECRET`, r.body,
		"and sent its output after the refusal")

	r = call(t, srv, "/wrapped")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, 1, reached, "Wrap did not")
	assert.NotContains(t, r.body, "SECRET")
}
