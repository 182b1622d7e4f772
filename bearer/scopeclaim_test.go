package bearer

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// TestScopeClaimNoEscalation guards against scope escalation through
// "scp" and "scopes": a token whose "scope" is narrow gets exactly
// that scope over a real server, whatever broader "scp" or "scopes" it
// also carries, and a present but empty or malformed "scope" grants
// nothing rather than falling through to them.
func TestScopeClaimNoEscalation(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))

	mux := http.NewServeMux()
	mux.Handle("GET /whoami", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		w.Header().Set("X-Scopes", strings.Join(p.Scopes, " "))
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("GET /admin", a.Middleware(scopes.Require("b")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	cases := []struct {
		name       string
		set        map[string]any
		wantScopes string
	}{
		{"scope a, scp a b", map[string]any{"scope": "a", "scp": "a b"}, "a"},
		{"scope a, scp array", map[string]any{"scope": "a", "scp": []string{"a", "b"}}, "a"},
		{"scope a, scopes a b", map[string]any{"scope": "a", "scopes": []string{"a", "b"}}, "a"},
		{"empty scope, scp b", map[string]any{"scope": "", "scp": "b"}, ""},
		{"null scope, scp b", map[string]any{"scope": nil, "scp": "b"}, ""},
		{"numeric scope, scopes b", map[string]any{"scope": 7, "scopes": "b"}, ""},
		{"scp a, scopes b", map[string]any{"scp": "a", "scopes": "b"}, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := claimsAt(t0)
			delete(m, "scope")
			for k, v := range tc.set {
				m[k] = v // nil stays: a JSON null is a present claim
			}
			m["jti"] = tc.name
			tok := hs.sign(t, m, nil)

			res := getWithToken(t, srv.URL+"/whoami", tok)
			assert.Equal(t, http.StatusNoContent, res.StatusCode)
			assert.Equal(t, tc.wantScopes, res.Header.Get("X-Scopes"))

			res = getWithToken(t, srv.URL+"/admin", tok)
			assert.Equal(t, http.StatusForbidden, res.StatusCode, "scope b must not be granted")
		})
	}
}

func getWithToken(t *testing.T, url, tok string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	return res
}
