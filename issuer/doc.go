// Package issuer issues gatehouse's own sessions: login, refresh with
// rotation and reuse detection, logout and revocation.
//
// An [Issuer] signs access tokens as RFC 9068 JWTs (typ "at+jwt", or "JWT"
// with Config.TokenType) carrying iss, sub, aud, exp, nbf, iat, a random
// jti, client_id, scope, sid (the refresh family) and tenant, with an HMAC
// secret or an ECDSA / Ed25519 / RSA key. The bearer middleware verifies
// them ([Issuer.BearerConfig]). Refresh tokens are opaque ("rt_", the
// family id and 256 random bits) or, with Config.RefreshJWT, JWTs; only
// their SHA-256 is stored, in a [RefreshStore] that groups them in
// families, one per login. Each refresh rotates the token; presenting a
// rotated one is reuse and revokes the whole family and every access
// token it issued.
//
//	mux.HandleFunc("POST /auth/login", iss.Login)
//	mux.HandleFunc("POST /auth/refresh", iss.Refresh)
//	mux.HandleFunc("POST /auth/logout", iss.Logout)
//
// Siblings are consumed through small interfaces: the bearer middleware's
// revocation store, an [AccountChecker] (ipallow's per-account allowlists)
// and a [Throttle] (ratelimit's failure throttle). Every store has a
// concurrent in-memory default and a conformance kit in package
// issuertest. Store calls that do not depend on each other are sent at
// once, and a revocation store or [Throttle] that can do several writes
// in one call is used that way, so that login, refresh and logout wait for as few round
// trips to a network store as their atomicity allows (redisstore's README
// counts them). The OAuth token endpoint (client credentials, JWT-bearer
// assertions) is package tokenendpoint. The package README describes the
// flows, the stores' bounds and the benchmarks.
package issuer
