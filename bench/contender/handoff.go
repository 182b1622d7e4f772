package contender

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// Handoff is the least a middleware does to hand an authenticated
// Principal to next, whatever it verified: a context carrying a Principal
// built beforehand and the request copy that carries the context
// (gatehouse.WithPrincipalRef and http.Request.WithContext, as
// gatehouse's middleware does on a cache hit). It is a control, not a
// contender: no middleware that hands a Principal on the net/http way
// costs less.
func Handoff(next http.Handler) http.Handler {
	p := &gatehouse.Principal{Subject: fixture.Subject, Tenant: fixture.Tenant, Scopes: []string{"orders:read", "orders:write"}, Method: gatehouse.MethodJWT}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p)))
	})
}
