package routers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/routers"
)

func get(t *testing.T, srv *httptest.Server, path, token string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header
}

func TestRouters(t *testing.T) {
	f := newFixture(t)
	for name, build := range map[string]func(routers.Guards) http.Handler{
		"stdmux": routers.StdMux,
		"chi":    routers.Chi,
		"gin":    routers.GinEngine,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(build(f.guards))
			defer srv.Close()

			code, body, h := get(t, srv, "/api/v1/whoami", "")
			assert.Equal(t, 401, code)
			assert.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
			assert.Contains(t, body, `"code":"UNAUTHORIZED"`)

			code, _, _ = get(t, srv, "/api/v1/whoami", f.badToken)
			assert.Equal(t, 401, code)

			code, body, _ = get(t, srv, "/api/v1/whoami", f.readOnly)
			require.Equal(t, 200, code, body)
			var who struct {
				Data struct {
					Subject string   `json:"subject"`
					Scopes  []string `json:"scopes"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &who))
			assert.Equal(t, "reader", who.Data.Subject, "the Principal reaches the handler")

			code, body, h = get(t, srv, "/api/v1/orders", f.readOnly)
			assert.Equal(t, 403, code, "a valid token without the scope is refused")
			assert.Contains(t, h.Get("WWW-Authenticate"), `error="insufficient_scope"`)
			assert.Contains(t, body, `"code":"FORBIDDEN"`)

			code, body, _ = get(t, srv, "/api/v1/orders", f.orders)
			assert.Equal(t, 200, code)
			assert.Contains(t, body, `"success":true`)
		})
	}
}
