package main

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
)

// StdMux serves the API on the standard library's ServeMux (Go 1.22
// method patterns): gatehouse middleware wrap the handlers directly.
func StdMux(g Guards) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/whoami", g.Auth(http.HandlerFunc(Whoami)))
	mux.Handle("GET /api/v1/orders", gatehouse.Chain(g.Auth, g.ReadOrders)(http.HandlerFunc(Orders)))
	return g.Outer(mux)
}
