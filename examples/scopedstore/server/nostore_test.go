package server_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// port returns the port e's loopback listener was given.
func port(t *testing.T, e *env) string {
	t.Helper()
	_, p, err := net.SplitHostPort(e.srv.Listener.Addr().String())
	require.NoError(t, err)
	return p
}

func noStoreBody(host string) string {
	return `{"success":false,"error":"Not Found","message":"Store not found: send requests to a store host such as ` + host + `"}`
}

// TestNoStoreNamesTheRealPort: the 404 for a Host naming no store points to
// a store host on the port the server really listens on, never a fixed one.
func TestNoStoreNamesTheRealPort(t *testing.T) {
	e := start(t, server.Config{})
	p := port(t, e)
	require.NotEqual(t, "8080", p)
	get := func(host string) response {
		req, err := http.NewRequest("GET", e.srv.URL+server.BasePath+"/products", nil)
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		return e.do(req)
	}
	for _, c := range []struct{ name, host, want string }{
		{"the listener's address", "", "acme.localhost:" + p},
		{"localhost and the port", "localhost:" + p, "acme.localhost:" + p},
		{"no port in Host: the connection's", "localhost", "acme.localhost:" + p},
		{"IPv6 literal without port", "[::1]", "acme.localhost:" + p},
		{"the port the client asked for", "127.0.0.1:9443", "acme.localhost:9443"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(c.host)
			assert.Equal(t, 404, r.status)
			assert.Equal(t, noStoreBody(c.want), r.body)
		})
	}

	t.Run("the server's own store", func(t *testing.T) {
		e := start(t, server.Config{Tokens: []server.TokenSpec{{Token: token("initech"), Store: "initech", Scopes: []string{"products:read"}}}})
		req, err := http.NewRequest("GET", e.srv.URL+server.BasePath+"/products", nil)
		require.NoError(t, err)
		assert.Equal(t, noStoreBody("initech.localhost:"+port(t, e)), e.do(req).body)
	})
	t.Run("no port known", func(t *testing.T) {
		app, err := server.New(server.Config{Tokens: standardTokens()})
		require.NoError(t, err)
		req := httptest.NewRequest("GET", server.BasePath+"/products", nil) // no connection
		req.Host = "localhost"
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		assert.Equal(t, noStoreBody("acme.localhost"), w.Body.String())
	})
}
