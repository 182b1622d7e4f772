package routers

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
)

// StdMux serves the API on the standard library's ServeMux.
func StdMux(g Guards) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/whoami", g.Auth(http.HandlerFunc(Whoami)))
	mux.Handle("GET /api/v1/orders", gatehouse.Chain(g.Auth, g.ReadOrders)(http.HandlerFunc(Orders)))
	return mux
}
