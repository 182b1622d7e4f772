package gatehouseecho_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
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

// TestLoopbackServer serves an echo instance on a real loopback server,
// one group behind a real bearer Authenticator (HS256) with a scope check
// and one behind a real apikey Authenticator, with envelope.Recover and
// envelope.Use outermost.
func TestLoopbackServer(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	keys, key := newAPIKey(t, "supplier-1", "stock:write")
	reached, errs := 0, 0
	whoami := func(c echo.Context) error {
		reached++
		p, ok := gatehouseecho.Principal(c)
		fromCtx, _ := gatehouse.PrincipalFrom(c.Request().Context())
		return c.JSON(http.StatusOK, map[string]any{"ok": ok, "subject": p.Subject, "method": p.Method, "same": fromCtx.Subject == p.Subject})
	}

	e := newEcho(&errs)
	e.Use(gatehouseecho.Wrap(gatehouse.Chain(envelope.Recover(nil), envelope.Use(envelope.Flat))))
	jwtAPI := e.Group("/jwt", gatehouseecho.Wrap(auth.Middleware))
	jwtAPI.GET("/whoami", whoami)
	jwtAPI.GET("/orders", whoami, gatehouseecho.Wrap(enf.Require("orders:read")))
	keyAPI := e.Group("/key", gatehouseecho.Wrap(keys.Middleware))
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

	r = call(t, srv, "/key/whoami", "ApiKey", "ak_test_not-a-real-key")
	assert.Equal(t, 401, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `ApiKey realm="api"`)
	r = call(t, srv, "/key/whoami", "Authorization", "Bearer "+clerk)
	assert.Equal(t, 401, r.status, "a bearer token is not an API key")
	assert.Equal(t, 0, reached, "no refused request reached a handler")
	assert.Equal(t, 0, errs, "no refusal went to echo's error handler")

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

// TestNaiveAdapterFailsOpen shows why Wrap exists: the "two-line" adapter
// that runs the middleware with a next handler that only records the
// request, then calls the echo handler, runs the protected handler after
// the refusal; its output is appended to the 401. Wrap does not.
func TestNaiveAdapterFailsOpen(t *testing.T) {
	auth := newBearer(t)
	naive := func(mw func(http.Handler) http.Handler) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.SetRequest(r) })).ServeHTTP(c.Response(), c.Request())
				return next(c)
			}
		}
	}
	reached := 0
	secretData := func(c echo.Context) error { reached++; return c.String(http.StatusOK, "SECRET") }
	e := echo.New()
	e.Logger.SetOutput(io.Discard) // echo warns "response already committed"
	e.GET("/naive", secretData, naive(auth.Middleware))
	e.GET("/wrapped", secretData, gatehouseecho.Wrap(auth.Middleware))
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
