// Package scopes enforces OAuth-style scopes after authentication.
//
// Authentication middleware (bearer, apikey or any other) stores a
// [gatehouse.Principal] whose Scopes it filled with the one scope-claim
// parser, [gatehouse.ScopesFromClaims]. This package only ever reads
// Principal.Scopes and decides:
//
//   - no authenticated Principal in the request context → 401 with a
//     WWW-Authenticate challenge: Bearer by default, [Config].Challenge
//     for other credentials;
//   - a Principal lacking a required scope → 403 with
//     WWW-Authenticate: Bearer error="insufficient_scope", scope="…"
//     (RFC 6750 §3.1), OAuth code insufficient_scope, and the message
//     "Token does not have the required scope: orders:write";
//   - a request the route table does not list → 403 access_denied (no
//     scope would admit it), unless [Config].AllowUnlisted;
//   - otherwise the request goes on.
//
// Scopes are compared exactly and case-sensitively: "read" does not grant
// "read:users". Implications and wildcards ("orders:*") exist only when
// configured with [Config].Implies and [Config].Wildcards.
//
//	mux.Handle("POST /orders", scopes.Require("orders:write")(h))        // all of
//	mux.Handle("GET /reports", scopes.Any("reports:read", "admin")(h))   // one of
//
//	e, err := scopes.New(scopes.Config{                                   // a route table
//		Style: envelope.Flat,
//		Routes: map[string]scopes.Rule{
//			"GET /products":  {All: []string{"products:read"}},
//			"POST /products": {All: []string{"products:write"}},
//		},
//	})
//	handler := e.Middleware(mux)
//
// The package-level [Require] and [Any] use the zero [Config]; build an
// [Enforcer] with [New] for anything else. The package's README.md has the
// response bodies and the benchmarks.
package scopes
