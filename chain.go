package gatehouse

import "net/http"

// Middleware is the standard shape of every gatehouse middleware.
type Middleware = func(http.Handler) http.Handler

// Chain composes middleware in reading order: the first argument is the
// outermost and sees each request first. Chain() returns the identity.
//
//	h := gatehouse.Chain(envelope.Use(envelope.Flat), auth.Middleware, scopes.Require("orders:read"))(handler)
func Chain(mw ...Middleware) Middleware {
	return func(h http.Handler) http.Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](h)
		}
		return h
	}
}
