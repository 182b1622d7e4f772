package main

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// Guards are the middleware the API is protected with: Outer wraps every
// request (envelope.Recover here), Auth authenticates every /api/v1 route,
// ReadOrders authorizes GET /api/v1/orders. Any gatehouse middleware
// (bearer, apikey, scopes, ipallow, ratelimit, envelope) fits.
type Guards struct {
	Outer      gatehouse.Middleware
	Auth       gatehouse.Middleware
	ReadOrders gatehouse.Middleware
}

// newGuards protects the API with the real bearer and scopes middleware,
// accepting the tokens signed with key, and outer around it all.
func newGuards(key []byte, outer gatehouse.Middleware) (Guards, error) {
	auth, err := bearer.New(bearer.Config{
		Realm:      "orders",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: issuer, Keys: []bearer.Key{{Algorithm: "HS256", Key: key}}}},
		Audiences:  []string{audience},
	})
	if err != nil {
		return Guards{}, err
	}
	enf, err := scopes.New(scopes.Config{Realm: "orders", Style: envelope.Nested})
	if err != nil {
		return Guards{}, err
	}
	return Guards{Outer: outer, Auth: auth.Middleware, ReadOrders: enf.Require("orders:read")}, nil
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

// routers are the routers the command serves the API on, by -router name.
var routers = map[string]func(Guards) http.Handler{
	"std":  StdMux,
	"chi":  Chi,
	"gin":  Gin,
	"echo": Echo,
}
