// Package gatehousegin runs gatehouse middleware in gin.
//
// Every gatehouse middleware — bearer's and apikey's Authenticator.Middleware,
// ipallow, scopes.Enforcer.Require, ratelimit, envelope.Recover and
// envelope.Use, or a whole gatehouse.Chain — is a
// func(http.Handler) http.Handler. [Wrap] turns one into a gin.HandlerFunc
// that keeps the middleware's decision:
//
//   - A refusal ends the request. The middleware's answer (a 401 with its
//     WWW-Authenticate challenge, a 403, a 429) is the whole response:
//     Wrap aborts the gin chain, so no handler after it runs and nothing is
//     written after the refusal, and c.IsAborted reports true to the gin
//     middleware before it.
//   - An admitted request goes on with c.Request replaced by the request
//     the middleware passed on, so gatehouse.PrincipalFrom(c.Request.Context())
//     works in every later handler, and [Principal] reads the same
//     Principal from the gin context.
//
// The rest of the gin chain runs inside the middleware's call to its next
// handler, as an http.Handler would: a middleware that does work after next
// or in a deferred function, such as envelope.Recover, sees the handlers
// after it run, and their panics. When the middleware hands next a
// ResponseWriter of its own (envelope.Recover and
// ratelimit.FailureThrottle wrap it to learn whether and how the response
// started), c.Writer writes through that writer until the chain returns.
//
// gin runs a route's handlers one after the other, not nested: a handler
// that returns without calling c.Next does not stop the next one. That is
// why an adapter of a few lines, which runs the middleware with a next
// handler that only copies the request into c.Request, lets a refused
// request through to the protected handler, whose output follows the
// refusal. Wrap is the adapter to use.
package gatehousegin
