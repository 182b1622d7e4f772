// Package gatehouse is the shared vocabulary of the gatehouse middleware
// family: the authenticated [Principal], the resolved client address, the
// audit [Event], their context accessors, and [Chain], which composes
// middleware in reading order.
//
// [ParseScope] and [ScopesFromClaims] are the one scope-claim parser that
// bearer and apikey use to fill Principal.Scopes; [ScopeClaim] is the one
// precedence rule that picks the claim a token's scopes come from.
// [Principal.IsZero] is the one rule for "not authenticated".
//
// Every refusal has a [Reason], reported in its audit [Event]; the reasons
// several packages share are declared here, and each package lists its
// refusals (error, status, message, reason) as [Refusal] rows.
// [Event.Conclude] sets an event's outcome from the status answered.
//
// The policies themselves live in sub-packages, each a plain
// func(http.Handler) http.Handler so that it plugs into the standard mux
// and chi as it is, and into gin and echo through the adapters modules:
//
//   - envelope: the error model, its renderers and strict JSON body decoding
//   - bearer: JWT and opaque bearer-token authentication
//   - issuer: login, refresh with rotation and reuse detection, logout and
//     revocation of sessions
//   - tokenendpoint: the OAuth token endpoint (client credentials, JWT-bearer
//     assertions)
//   - apikey: API keys in a header, stored hashed and bound to a tenant
//   - ipallow: client-IP resolution behind proxies and IP allowlists
//   - scopes: scope enforcement after authentication
//   - ratelimit: per-principal, per-IP and failed-authentication limits
//   - oneof: routes that accept one of several credentials, chosen by what
//     the request sends
//   - dpop: proof-of-possession (DPoP) proofs, nonces and the client side
//   - monitor: alerts on bursts of 401s and 403s, fed by the audit events
//     ([Auditors] sends them to several auditors)
//   - gatehousetest: a kit for testing handlers through the real middleware
//
// # Realms
//
// Every middleware that sends a WWW-Authenticate challenge (bearer, apikey,
// scopes, issuer) follows one rule for its Config.Realm: the challenge
// carries realm="<Realm>" when Realm is set and no realm parameter when it
// is empty, the default. Give the middleware of one chain the same Realm,
// so that its 401 and 403 answers name the same protection space. The one
// exception is a Basic challenge (the token endpoint's client
// authentication), whose realm RFC 7617 requires: tokenendpoint's Realm
// defaults to its Issuer.
//
// This package holds no HTTP policy and imports none of its sub-packages.
package gatehouse
