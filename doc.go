// Package gatehouse is the shared vocabulary of the gatehouse middleware
// family: the authenticated [Principal], the resolved client address, the
// audit [Event], their context accessors, and [Chain], which composes
// middleware in reading order.
//
// [ParseScope] and [ScopesFromClaims] are the one scope-claim parser that
// bearer and apikey use to fill Principal.Scopes; [ScopeClaim] is the one
// precedence rule that picks the claim a token's scopes come from.
//
// The policies themselves live in sub-packages, each a plain
// func(http.Handler) http.Handler so that it plugs into the standard mux,
// chi, gin or anything else:
//
//   - envelope: the error model, its renderers and strict JSON body decoding
//   - bearer: JWT and opaque bearer-token authentication
//   - issuer: login, refresh, logout and revocation of sessions
//   - tokenendpoint: the OAuth 2.0 token endpoint (client credentials, JWT-bearer)
//   - apikey: API keys in a header, stored hashed and bound to a tenant
//   - ipallow: client-IP resolution behind proxies and IP allowlists
//   - scopes: scope enforcement after authentication
//   - ratelimit: per-principal, per-IP and failed-authentication limits
//
// This package holds no HTTP policy and imports none of its sub-packages.
package gatehouse
