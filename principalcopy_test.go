package gatehouse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// TestSharedPrincipalHandOuts covers the places other than PrincipalFrom
// that hand a shared Principal to user code: the
// scopes Enforcer's Check, a ratelimit Limits function and an ipallow
// Account function each get a copy whose Scopes they may change without
// changing the shared Principal.
func TestSharedPrincipalHandOuts(t *testing.T) {
	shared := &gatehouse.Principal{Subject: "u1", Tenant: "acme", TokenID: "t1", Method: gatehouse.MethodJWT,
		Scopes: []string{"orders:read", "orders:write"}}
	want := []string{"orders:read", "orders:write"}
	withShared := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), shared)))
		})
	}
	mutate := func(p gatehouse.Principal) {
		p.Scopes[0] = "admin"
		_ = append(p.Scopes[:1], "root")
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	t.Run("scopes Check", func(t *testing.T) {
		e, err := scopes.New(scopes.Config{Routes: map[string]scopes.Rule{"GET /": {All: []string{"orders:read"}}}})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r = r.WithContext(gatehouse.WithPrincipalRef(r.Context(), shared))
		p, err := e.Check(r)
		require.NoError(t, err)
		mutate(p)
		assert.Equal(t, want, shared.Scopes)
	})

	t.Run("ratelimit Limits", func(t *testing.T) {
		l, err := ratelimit.New(ratelimit.Config{Limits: func(p gatehouse.Principal) (ratelimit.Limit, bool) {
			mutate(p)
			return ratelimit.Limit{}, false
		}})
		require.NoError(t, err)
		w := httptest.NewRecorder()
		withShared(l.Middleware(ok)).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Equal(t, http.StatusNoContent, w.Code)
		assert.Equal(t, want, shared.Scopes)
	})

	t.Run("ipallow Account", func(t *testing.T) {
		lists := ipallow.NewMemoryLists()
		require.NoError(t, lists.Set(context.Background(), "acme", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
		pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists, Account: func(p gatehouse.Principal) string {
			mutate(p)
			return p.Tenant
		}})
		require.NoError(t, err)
		w := httptest.NewRecorder()
		withShared(pp.Middleware(ok)).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Equal(t, http.StatusNoContent, w.Code)
		assert.Equal(t, want, shared.Scopes)
	})
}
