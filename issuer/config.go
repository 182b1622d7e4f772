package issuer

import (
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Defaults of the zero Config fields.
const (
	defaultAccessTTL    = time.Hour          // access-token lifetime
	defaultRefreshTTL   = 7 * 24 * time.Hour // refresh-token lifetime
	defaultMaxBodyBytes = 4 << 10            // login and refresh body cap
)

// maxRefreshReuseGrace is the largest Config.RefreshReuseGrace.
const maxRefreshReuseGrace = time.Minute

// Config configures an [Issuer]. Issuer, Key, Credentials and Revocations
// are required; every other zero field has the default its comment names.
type Config struct {
	// Issuer is the "iss" claim; the bearer middleware's Issuers must list
	// it. Required.
	Issuer string
	// Audiences is the "aud" claim (a string when it has one member).
	// Default: []string{Issuer}.
	Audiences []string
	// Key signs access tokens (and refresh tokens with RefreshJWT): an HMAC
	// secret (HS256 by default) or an ECDSA / Ed25519 / RSA private key.
	// Configure the bearer middleware with BearerConfig. Required.
	Key SigningKey
	// TokenType is the "typ" header of every access token the issuer
	// signs, and the one BearerConfig requires: "at+jwt" (RFC 9068), the
	// secure default, with which no other kind of JWT the same key or
	// issuer may sign (an ID token, a refresh JWT, a jwt-bearer assertion)
	// can be taken for an access token, or "JWT", for an API whose
	// documentation shows that header; every other value is a
	// configuration error. With "JWT", the header no longer tells the kinds
	// of token apart, and the audience check is what keeps them apart: the
	// bearer middleware must check Audiences (BearerConfig does), and no
	// other JWT signed with this key may name one of the access-token
	// audiences. Default: "at+jwt".
	TokenType string
	// RefreshJWT makes refresh tokens compact JWS signed with Key, for
	// APIs documented with JWT refresh tokens, instead of opaque strings:
	// "rt_", the family id (the session's "sid", not secret) and 256
	// random bits in base64url, of which nothing is parsed or verified but
	// the store lookup. A refresh JWT's header is the access tokens' with
	// typ "rt+jwt", or "JWT" when TokenType is "JWT"; its claims are iss,
	// sub, aud (the Issuer itself, so New refuses Audiences empty or
	// naming it: a refresh JWT can never carry an access-token audience),
	// exp (the record's expiry), iat, auth_time (the login), sid (the
	// family id), token_use "refresh" and a jti of 256 random bits, the
	// secret part. Refresh verifies the signature, then iss, aud,
	// token_use and exp, before the store lookup; any failure is the 401
	// of an unknown token. Either way the RefreshStore is authoritative
	// (reuse detection, rotation, expiry and revocation work the same) and
	// files each token under the SHA-256 of the whole token string, and
	// Refresh accepts only the configured format: changing it makes every
	// outstanding refresh token fail, so users log in again. Default:
	// false (opaque).
	RefreshJWT bool

	// AccessTTL is the access-token lifetime, at least one second.
	// Default: 1h.
	AccessTTL time.Duration
	// RefreshTTL is each refresh token's lifetime, counted again at every
	// rotation (a sliding window), up to RefreshMaxAge if set. It may be
	// shorter than AccessTTL: the refresh store may then forget a family
	// while its access tokens live, but logout and RevokeSession revoke
	// the session id for AccessTTL (logout: at least) whether or not the
	// family is still stored, as they must anyway once a store evicts a
	// family early. Default: 7 days.
	RefreshTTL time.Duration
	// RefreshMaxAge, when positive, is the absolute lifetime of a login
	// session (a refresh-token family), counted from the login: every
	// refresh token expires at the earlier of its issue time + RefreshTTL
	// and the login time + RefreshMaxAge, and a refresh at or after the
	// latter is refused with 401 like an expired token, so the client must
	// log in again. 0 means no absolute limit: a session that refreshes at
	// least once per RefreshTTL lives on; negative is a configuration
	// error. It may be shorter than RefreshTTL: every refresh token of the
	// session, the first one included, then expires at the login time +
	// RefreshMaxAge, which is a consistent policy (a fixed session length,
	// with refresh only renewing access tokens), not a contradiction to
	// refuse.
	//
	// The RefreshStore applies the limit at each rotation, in the same
	// atomic step, from the family's CreatedAt and the value configured
	// (RefreshRecord.MaxAge), so a change of RefreshMaxAge also applies to
	// sessions that started before it, at their next refresh. Default: 0.
	RefreshMaxAge time.Duration

	// SubjectRevocationHold is the least time RevokeSubject keeps a
	// subject's revocation. Set it to the longest lifetime of any token
	// the bearer middleware accepts for the subjects of this issuer that
	// it does not issue itself — a tokenendpoint.Endpoint's AccessTTL, an
	// AccessClaims.TTL above AccessTTL — so that no such token outlives
	// the revocation. Default: 0 (the longer of AccessTTL and RefreshTTL
	// only).
	SubjectRevocationHold time.Duration

	// RefreshReuseGrace is how long after a rotation the token it replaced
	// may be presented once more — the client's retry of a refresh whose
	// answer it never received (a timeout, a dropped connection, a store
	// write that landed after the request gave up) — and get a fresh pair
	// instead of counting as reuse. The retry rotates the family again: the
	// pair the first rotation issued is invalidated (its refresh token,
	// presented later, is reuse; its access token lives until it expires,
	// as any access token of a live session), and the family goes on from
	// the newest pair only. A second retry, an older token, or the same
	// token after the grace is reuse, and revokes the family. 0 means no
	// grace: every second presentation is reuse; negative, or over one
	// minute, is a configuration error.
	//
	// The default is 0 because a grace weakens what RFC 9700 §4.14.2 asks
	// of rotation: that the first reuse of an invalidated refresh token
	// informs the server of a breach. Within the grace, an attacker who
	// replays a stolen token that the client just rotated gets one pair,
	// and the breach shows only at the client's next refresh (its token is
	// then a rotated one: reuse, the family and every access token it
	// issued die). With 0, three instances refreshing one token at once
	// still have exactly one winner. Set a few seconds (2 to 10: longer
	// than a client's request timeout plus its retry delay, far shorter
	// than an access token's life) for clients on unreliable networks,
	// mobile apps above all, whose retries would otherwise log their users
	// out; the package README compares other servers' graces. Default: 0.
	RefreshReuseGrace time.Duration

	// Refresh stores refresh-token families: when a MemoryRefresh is full
	// of live tokens (in all, or of one subject), logins and refreshes
	// answer 503 rather than forget a session. Default: a new MemoryRefresh
	// with the default bounds (single instance only).
	Refresh RefreshStore
	// Credentials finds login accounts. Refresh also checks that the
	// session's subject still names an enabled account
	// (CredentialStore.LookupSubject), so a session started with IssuePair
	// for a subject outside the store cannot refresh, and issues the
	// session's scopes less those the account no longer has. Required.
	Credentials CredentialStore
	// Revocations receives the jti of the access token a logout presents,
	// the session (family id) of every family that logout, reuse detection
	// or RevokeSession kills and the not-before of every subject
	// RevokeSubject revokes, which Refresh reads back. It must be the store
	// the bearer middleware checks. A store that also has
	//
	//	RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error
	//
	// doing what RevokeToken(ctx, subject, jti, tokenUntil) and
	// RevokeSession(ctx, subject, sid, sessionUntil) do in one write
	// (redisstore's Revocations: one round trip) is used that way by
	// logout. Required.
	Revocations bearer.RevocationStore
	// Accounts applies an account's IP allowlist at login (before the
	// password is checked), at refresh and at logout, keyed by the
	// session's Tenant, or its Subject when Tenant is empty, as
	// ipallow.PerPrincipal keys API calls by default. Optional.
	Accounts AccountChecker
	// Throttle limits failed logins per client address (key "ip:" +
	// ratelimit.AddrKey(addr): an IPv4 address, an IPv6 /64) and per user
	// name ("user:<name>"). Each attempt is counted (Begin) before any
	// credential is checked and before any store is asked for one (a
	// MemoryCredentials account is looked up before, which decides
	// nothing); a Throttle that batches (see Throttle) counts and settles the keys of a request
	// with one call each. Optional.
	Throttle Throttle

	// BcryptCost is the cost of the dummy hash unknown users are checked
	// against; use the cost of the stored hashes. Default:
	// bcrypt.DefaultCost (10).
	BcryptCost int
	// MaxBodyBytes caps login and refresh bodies. Default: 4096.
	MaxBodyBytes int64
	// Realm is the realm of the Bearer challenge (WWW-Authenticate) that
	// login, refresh and logout send with every 401. Default: "" (a
	// challenge without realm).
	Realm string

	// DPoP verifies the DPoP proofs (RFC 9449) of login and refresh
	// requests, made for POST and the handler's URI (the verifier's
	// Origin and the request path). A login whose DPoP header carries a
	// valid proof starts a refresh family bound to the proof's key
	// (Family.JKT): its access tokens carry "cnf": {"jkt": thumbprint}
	// and the answer "token_type": "DPoP", and every refresh of the
	// family must carry a proof made with the same key. A refresh of a
	// family that is not bound, with a proof, gets a bound access token
	// and leaves the family unbound. A refused proof, or none for a
	// bound family, is 400 with the OAuth code invalid_dpop_proof; a proof
	// without the verifier's current nonce 400 use_dpop_nonce with a
	// DPoP-Nonce header; a failing replay store 503. Without DPoP the
	// header is ignored, and a bound family cannot be refreshed (401, as
	// an invalid refresh token). The proof is checked before any
	// credential, so anyone can spend proof ids in the verifier's replay
	// store: keep a rate limit in front. Optional.
	DPoP *dpop.Verifier

	// Style renders errors. Default: the request's style (envelope.Use),
	// else envelope.Nested.
	Style envelope.Style
	// Audit receives login, refresh, reuse, logout and IP-denial events.
	// Events never carry token or password material. Optional.
	Audit gatehouse.Auditor
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// A SigningKey is the private key the issuer signs access tokens with.
type SigningKey struct {
	// ID is the "kid" header. Default: none for an HMAC secret, and the RFC
	// 7638 JWK thumbprint of the public key for an asymmetric key, so a
	// JWKS published from BearerConfig's key matches.
	ID string
	// Algorithm is the JWS "alg". Default: HS256 for a []byte key,
	// ES256/ES384/ES512 by curve for an *ecdsa.PrivateKey, EdDSA for an
	// ed25519.PrivateKey and RS256 for an *rsa.PrivateKey.
	Algorithm string
	// Key is a []byte HMAC secret (at least as long as the hash: 32 bytes
	// for HS256), an *ecdsa.PrivateKey, an ed25519.PrivateKey or an
	// *rsa.PrivateKey (at least 2048 bits). Required.
	Key any
}
