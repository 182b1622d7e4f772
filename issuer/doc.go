// Package issuer issues gatehouse's own tokens: the login, refresh and
// logout flow of seed 000 ("The Popup Reward Store API") and seed 001
// (credential rotation), with refresh-token rotation and reuse detection.
//
// An [Issuer] signs access tokens as RFC 9068 JWTs — header typ "at+jwt"
// (or "JWT" with Config.TokenType, for APIs documented with it),
// claims iss, sub, aud, exp, nbf, iat, a random jti, client_id, scope
// (space-separated), sid (the refresh family) and tenant — with an HMAC
// secret (HS256 by default) or an ECDSA / Ed25519 / RSA key carrying a kid.
// The bearer middleware verifies them from the same key
// ([Issuer.VerificationKey]) and maps sid to Principal.SessionID and jti to
// Principal.TokenID.
//
// Refresh tokens are opaque by default: "rt_", the family id and 256
// random bits in base64url. With Config.RefreshTokenFormat RefreshJWT they
// are JWTs whose aud is the Issuer identifier and which carry token_use
// "refresh", the family id as sid and a 256-bit jti. Either way only their
// SHA-256 is stored, in a [RefreshStore] that groups them in families (one
// per login) and keeps the current token and the [RefreshRing] tokens
// rotated last of each. Each refresh rotates: the presented token dies and
// a new pair is answered. Presenting one of the tokens rotated last is
// reuse — the store revokes the whole family in the same atomic step and
// the issuer revokes the family's session (the sid) in its Revoker, which
// the bearer middleware checks with every token's jti: all the family's
// access tokens are refused at once, however
// many rotations there were. Because an access token's typ (at+jwt by
// default) or, with typ JWT, its audience differs from a refresh token's,
// one can never stand in for the other.
//
// The handlers ([Issuer.Login], [Issuer.Refresh], [Issuer.Logout]) read
// bodies with envelope's strict decoder, answer seed 000's shapes with
// Cache-Control: no-store, render every failure through
// envelope.WriteStyle and emit audit events without secret material:
//
//	mux.HandleFunc("POST /auth/login", iss.Login)
//	mux.HandleFunc("POST /auth/refresh", iss.Refresh)
//	mux.HandleFunc("POST /auth/logout", iss.Logout)
//
// [Issuer.Token] is the OAuth 2.0 token endpoint of seed 002 (RFC 6749
// §4.4, RFC 7523 §2.1): client_credentials with client_id + client_secret
// (JSON, form or HTTP Basic) gives a machine-to-machine session, and the
// jwt-bearer grant with an HS256 assertion signed by the client's own key
// (iat window, single-use notificationKey in a [ReplayStore], positive
// amount) gives a client session. Both are access tokens with a
// "session_kind" claim; [RequireSession] keeps each kind on its routes and
// [SessionFrom] hands the session's claims to handlers. Clients live in a
// [ClientStore] (SHA-256 of server-generated secrets, the HMAC key as is).
//
//	mux.HandleFunc("POST /v2/token", iss.Token)
//
// Siblings are consumed through small interfaces: a [Revoker] (the bearer
// middleware's revocation store), an [AccountChecker] (ipallow's
// per-account allowlists, applied at login before the password and at
// refresh) and a [Throttle] (ratelimit's failure throttle, per client IP and
// per user name). Every store has a concurrent in-memory default and a
// conformance kit in package issuertest.
package issuer
