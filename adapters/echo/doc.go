// Package gatehouseecho runs gatehouse middleware in echo (v4).
//
// Every gatehouse middleware — bearer's and apikey's Authenticator.Middleware,
// ipallow, scopes.Enforcer.Require, ratelimit, envelope.Recover and
// envelope.Use, or a whole gatehouse.Chain — is a
// func(http.Handler) http.Handler. [Wrap] turns one into an
// echo.MiddlewareFunc that keeps the middleware's decision:
//
//   - A refusal ends the request. The middleware's answer (a 401 with its
//     WWW-Authenticate challenge, a 403, a 429) is the whole response: the
//     next echo handler is never called, no error reaches echo's
//     HTTPErrorHandler, and nothing is written after the refusal.
//   - An admitted request goes on with c.Request() replaced (c.SetRequest)
//     by the request the middleware passed on, so
//     gatehouse.PrincipalFrom(c.Request().Context()) works in every later
//     handler, and [Principal] reads the same Principal from the echo
//     context.
//
// The next echo handler runs inside the middleware's call to its next
// handler: a middleware that does work after next or in a deferred
// function, such as envelope.Recover, sees the handlers after it run, and
// their panics. When the middleware hands next a ResponseWriter of its own
// (envelope.Recover and ratelimit.FailureThrottle wrap it to learn whether
// and how the response started), c.Response() writes through that writer
// until the handlers return, and an error they return is answered by
// echo's HTTPErrorHandler through it too, so that the middleware sees that
// answer as well.
package gatehouseecho
