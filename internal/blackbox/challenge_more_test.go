package blackbox

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/scopes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Item 2: the 401s of configurations the main walk does not use — a
// scope enforcer that omits its 403 challenge, an allowlist without a
// Principal, optional authentication with a bad credential — carry a
// challenge too; a misplaced allowlist fails closed.
func TestMore401sHaveAChallenge(t *testing.T) {
	omit, err := scopes.New(scopes.Config{OmitChallenge: true})
	require.NoError(t, err)
	custom, err := scopes.New(scopes.Config{Challenge: `ApiKey realm="x"`})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	per, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	opt, err := bearer.New(bearer.Config{Algorithms: []string{"HS256"}, Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}})
	require.NoError(t, err)
	optKey, err := apikey.New(apikey.Config{Store: apikey.NewMemoryStore(), Header: "X-API-Key"})
	require.NoError(t, err)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = envelope.OK(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("/omit", omit.Require("a")(ok))
	mux.Handle("/custom", custom.Require("a")(ok))
	mux.Handle("/any", scopes.Any("a", "b")(ok))
	mux.Handle("/per", per.Middleware(ok))
	mux.Handle("/opt", opt.Optional(ok))
	mux.Handle("/optkey", optKey.Optional(ok))
	srv := httptest.NewServer(envelope.Use(envelope.OAuth)(mux))
	defer srv.Close()
	// An allowlist without authentication before it fails closed (500, as
	// documented), never 200.
	assert.Equal(t, 500, do(t, nil, "GET", srv.URL+"/per", nil, "").status)
	for _, c := range []struct {
		path string
		h    http.Header
	}{
		{"/omit", nil}, {"/custom", nil}, {"/any", nil},
		{"/opt", bearerH("garbage")}, {"/opt", http.Header{"Authorization": {"Basic YTpi"}}},
		{"/optkey", http.Header{"X-Api-Key": {"garbage-key-garbage"}}},
	} {
		res := do(t, nil, "GET", srv.URL+c.path, c.h, "")
		if res.status == 401 {
			assert.NotEmpty(t, res.header.Get("WWW-Authenticate"), "%s %v: %s", c.path, c.h, res.body)
		} else {
			assert.Contains(t, []int{200, 403}, res.status, "%s %v: %s", c.path, c.h, res.body)
		}
	}
}
