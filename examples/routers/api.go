package routers

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Guards are the middleware the API is protected with: Auth authenticates
// every route, ReadOrders authorizes GET /api/v1/orders. Any gatehouse
// middleware (bearer, apikey, scopes, ipallow, ratelimit) fits.
type Guards struct {
	Auth       gatehouse.Middleware
	ReadOrders gatehouse.Middleware
}

// Whoami answers the request's Principal in the success envelope.
func Whoami(w http.ResponseWriter, r *http.Request) {
	p, ok := gatehouse.PrincipalFrom(r.Context())
	if !ok {
		envelope.Write(w, r, envelope.ErrUnauthorized)
		return
	}
	_ = envelope.OK(w, map[string]any{"subject": p.Subject, "tenant": p.Tenant, "scopes": p.Scopes, "method": p.Method})
}

// Orders answers a fixed list of orders in the success envelope.
func Orders(w http.ResponseWriter, r *http.Request) {
	_ = envelope.OK(w, []map[string]any{{"id": 1, "status": "paid"}, {"id": 2, "status": "fulfilled"}})
}
