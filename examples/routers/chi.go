package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Chi serves the API on a chi router: gatehouse middleware go straight into
// Use and With.
func Chi(g Guards) http.Handler {
	r := chi.NewRouter()
	r.Use(g.Outer)
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(g.Auth)
		r.Get("/whoami", Whoami)
		r.With(g.ReadOrders).Get("/orders", Orders)
	})
	return r
}
