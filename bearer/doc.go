// Package bearer authenticates requests that carry a bearer token in the
// Authorization header (RFC 6750 §2.1): JSON Web Tokens, verified with the
// standard library's cryptography and accepted exactly when golang-jwt/jwt/v5's
// parser accepts them (the reference the tests compare with), and opaque
// tokens looked up by their SHA-256 hash in a [TokenStore].
//
// An [Authenticator] is built once with [New] from a [Config] and is safe for
// concurrent use. Its [Authenticator.Middleware] stores the verified caller as
// a [gatehouse.Principal] in the request context, or refuses the request with
// one [envelope.Error] rendered in the configured style:
//
//   - no credentials, "Bearer" without a token, or an Authorization header
//     of another scheme (a token sent without "Bearer" included): 401 and
//     `WWW-Authenticate: Bearer realm="api"`, without an error code, as
//     RFC 6750 §3.1 says for a request without bearer credentials;
//   - a malformed Bearer header, a bad, expired or revoked token: 401 with
//     error="invalid_token";
//   - several Authorization header lines, or a bearer token in the header
//     and an access_token parameter in the query or a form body as well
//     (RFC 6750 §2: one method per request): 400 with
//     error="invalid_request". Tokens are only ever read from the header;
//     a form body is read (at most [MaxFormBytes], else 413) and put back
//     for the handler only to look for that second token;
//   - a failing revocation store, token store or key source with no known key:
//     503, never a pass.
//
// JWT verification is strict by construction: an explicit algorithm allowlist
// ("none" is never accepted), every key bound to exactly one algorithm, strict
// base64url decoding, "exp" required, "nbf" and "iat" checked, issuer and
// audience matched exactly, an optional "typ" (RFC 9068 "at+jwt"), and
// unknown "crit" headers refused. Keys come from HMAC secrets, PEM or JWK
// public keys, and remote JWK Sets; the "jku", "x5u", "x5c" and "jwk"
// headers of a token are never used.
//
// Keys belong to an [Issuer]: a token is verified only with the keys of
// the issuer its "iss" names. An issuer's JWK Set is given, or discovered
// from its OpenID Connect or RFC 8414 metadata; it is fetched in the
// background, refreshed as its Cache-Control says, revalidated with its
// ETag, and fetched again, at most once per Fetch.UnknownKIDInterval, when
// a token names a kid it lacks. [Authenticator.Ready] tells a readiness
// probe whether every issuer has keys. With Config.Metadata the
// Authenticator serves the API's protected-resource metadata (RFC 9728)
// and names it in its challenges.
//
// Verified JWTs are kept in a bounded cache keyed by the exact token, so a
// token reused for many requests is verified once; each entry dies at the
// token's "exp", and revocation ([RevocationStore]) is still checked on every
// request.
package bearer
