// Package tokenendpoint is an OAuth 2.0 token endpoint: clients
// authenticate with a secret (client_credentials, RFC 6749 §4.4) or with
// an HS256 assertion signed with their own key (the JWT-bearer grant, RFC
// 7523 §2.1) and get a session token, an access JWT the bearer middleware
// verifies ([Endpoint.BearerConfig]).
//
//	ep, err := tokenendpoint.New(tokenendpoint.Config{
//		Issuer: "https://api.example", Key: tokenendpoint.SigningKey{Key: secret},
//		Clients: clients,
//	})
//	mux.Handle("POST /oauth/token", ep)
//
// Tokens carry a session kind: [RequireSession] keeps machine-to-machine
// sessions and client sessions on their own routes, and [CheckSession]
// hands a handler the session's claims. An assertion is single-use per
// client (its Config.ReplayClaim, in a [ReplayStore]); Config.Assertion
// reads the application's own claims from it into the session token.
// Clients live in a [ClientStore]: the SHA-256 of server-generated
// secrets, the HMAC key as is. Every store has a concurrent in-memory
// default and a conformance kit in package tokenendpointtest. The package
// README describes the checks, the stores' bounds and the benchmarks.
package tokenendpoint
