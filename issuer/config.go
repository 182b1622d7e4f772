package issuer

import (
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Defaults from seed 000.
const (
	DefaultAccessTTL    = time.Hour          // access-token lifetime
	DefaultRefreshTTL   = 7 * 24 * time.Hour // refresh-token lifetime
	DefaultMaxBodyBytes = 4 << 10            // login/refresh/token body cap

	DefaultAssertionWindow = 5 * time.Minute  // how old an assertion's iat may be
	DefaultAssertionLeeway = 30 * time.Second // how far ahead an assertion's iat may be
)

// MaxRefreshReuseGrace is the largest Config.RefreshReuseGrace.
const MaxRefreshReuseGrace = time.Minute

// TokenTypeJWT is the generic "typ" header Config.TokenType may name
// instead of AccessTokenType, for APIs documented with it.
const TokenTypeJWT = "JWT"

// RefreshTokenType is the "typ" header of a refresh JWT (RefreshJWT) when
// Config.TokenType is AccessTokenType; with TokenTypeJWT, refresh JWTs
// carry "JWT" too.
const RefreshTokenType = "rt+jwt"

// A RefreshTokenFormat is the format of the refresh tokens an Issuer
// issues (Config.RefreshTokenFormat).
type RefreshTokenFormat int

const (
	// RefreshOpaque refresh tokens are "rt_", the family id (the
	// session's "sid", not secret) and 256 random bits, in base64url: the
	// family id tells the store where the token's state lives, the random
	// bits are the secret, and nothing else is parsed or verified but the
	// store lookup. It is the default.
	RefreshOpaque RefreshTokenFormat = iota
	// RefreshJWT refresh tokens are compact JWS signed with Config.Key,
	// for APIs documented with JWT refresh tokens (seed 000). The header
	// is the access tokens' with typ RefreshTokenType ("rt+jwt"), or "JWT"
	// when Config.TokenType is TokenTypeJWT. The claims are iss, sub, aud
	// (the Issuer identifier itself, so New refuses an Audience naming it:
	// a refresh JWT can never carry an access-token audience), exp (the
	// record's expiry), iat, auth_time (the login), sid (the family id),
	// token_use "refresh" and a jti of 256 random bits, the secret part.
	// Refresh verifies the signature, then iss, aud, token_use and exp,
	// before the store lookup; any failure is the 401 of an unknown token.
	// The store stays authoritative: reuse detection, rotation, expiry
	// and revocation work exactly as with opaque tokens.
	RefreshJWT
)

// Config configures an [Issuer]. Issuer, Key and Revocations are required,
// and Credentials (login) or Clients (the token endpoint) or both; every
// other zero field has the default its comment names.
type Config struct {
	// Issuer is the "iss" claim; the bearer middleware's Issuers must list it.
	Issuer string
	// Audience is the "aud" claim (a string when it has one member). Empty
	// means []string{Issuer}.
	Audience []string
	// Key signs access tokens (and refresh tokens with RefreshJWT): an HMAC
	// secret (HS256 by default) or an ECDSA / Ed25519 / RSA private key.
	// Configure the bearer middleware with BearerConfig or VerificationKey.
	Key SigningKey
	// TokenType is the "typ" header of every access token the issuer signs,
	// and the one BearerConfig requires. Empty means AccessTokenType,
	// "at+jwt" (RFC 9068), the secure default: no other kind of JWT the
	// same key or issuer may sign (an ID token, a refresh JWT, a
	// jwt-bearer assertion) can then be taken for an access token. The
	// only other value allowed is TokenTypeJWT, "JWT", for an API whose
	// documentation shows that header (seed 000, seed 003); every other
	// value is a configuration error. With "JWT", the header no longer
	// tells the kinds of token apart, and the audience check is what keeps
	// them apart: the bearer middleware must check Audiences (BearerConfig
	// does), and no other JWT signed with this key may name one of the
	// access-token audiences.
	TokenType string
	// RefreshTokenFormat is the format of the refresh tokens Login and
	// Refresh issue: RefreshOpaque (the default, "rt_", the family id and
	// 256 random bits) or RefreshJWT (a compact JWS signed with Key, see
	// RefreshJWT). Either way the RefreshStore is authoritative and files
	// each token under the SHA-256 of the whole token string, and Refresh
	// accepts only the configured format: changing it makes every
	// outstanding refresh token fail, so users log in again.
	RefreshTokenFormat RefreshTokenFormat

	// AccessTTL is the access-token lifetime; 0 means DefaultAccessTTL (1h).
	AccessTTL time.Duration
	// RefreshTTL is each refresh token's lifetime, counted again at every
	// rotation (a sliding window, as in seed 000), up to RefreshMaxAge if
	// set; 0 means DefaultRefreshTTL (7 days). It may be shorter than
	// AccessTTL: the refresh store may then forget a family while its access
	// tokens live, but logout and RevokeSession revoke the session id for
	// AccessTTL (logout: at least) whether or not the family is still
	// stored, as they must anyway once a store evicts a family early.
	RefreshTTL time.Duration
	// RefreshMaxAge, when positive, is the absolute lifetime of a login
	// session (a refresh-token family), counted from the login: every
	// refresh token expires at the earlier of its issue time + RefreshTTL
	// and the login time + RefreshMaxAge, and a refresh at or after the
	// latter is refused with 401 like an expired token, so the client must
	// log in again. 0 means no absolute limit: a session that refreshes at
	// least once per RefreshTTL lives on (seed 000's behaviour); negative
	// is a configuration error. It may be shorter than RefreshTTL: every
	// refresh token of the session, the first one included, then expires
	// at the login time + RefreshMaxAge, which is a consistent policy (a
	// fixed session length, with refresh only renewing access tokens), not
	// a contradiction to refuse.
	//
	// The RefreshStore applies the limit at each rotation, in the same
	// atomic step, from the family's CreatedAt and the value configured
	// now (RefreshRecord.MaxAge), so a change of RefreshMaxAge also
	// applies to sessions that started before it, at their next refresh.
	RefreshMaxAge time.Duration

	// RefreshReuseGrace is how long after a rotation the token it replaced
	// may be presented once more — the client's retry of a refresh whose
	// answer it never received (a timeout, a dropped connection, a store
	// write that landed after the request gave up) — and get a fresh pair
	// instead of counting as reuse. The retry rotates the family again: the
	// pair the first rotation issued is invalidated (its refresh token,
	// presented later, is reuse; its access token lives until it expires,
	// as any access token of a live session), and the family goes on from
	// the newest pair only. A second retry, an older token, or the same
	// token after the grace is reuse, and revokes the family. 0, the
	// default, means no grace: every second presentation is reuse;
	// negative, or over MaxRefreshReuseGrace, is a configuration error.
	//
	// The default is 0 because a grace weakens what RFC 9700 §4.14.2 asks
	// of rotation: that the first reuse of an invalidated refresh token
	// informs the server of a breach. Within the grace, an attacker who
	// replays a stolen token that the client just rotated gets one pair,
	// and the breach shows only at the client's next refresh (its token is
	// then a rotated one: reuse, the family and every access token it
	// issued die). With 0, three instances refreshing one token at once
	// still have exactly one winner. Auth0's rotation "leeway" (reuse
	// interval) also defaults to 0 and, like this grace, lets only the
	// previous token through; Okta's "grace period for token rotation" is
	// 0 to 60 s (its API defaults to 30 s), and Amazon Cognito's retry
	// grace period 0 to 60 s. Set a few seconds (2 to 10: longer than a
	// client's request timeout plus its retry delay, far shorter than an
	// access token's life) for clients on unreliable networks, mobile apps
	// above all, whose retries would otherwise log their users out.
	RefreshReuseGrace time.Duration

	// Refresh stores refresh-token families; nil means a new MemoryRefresh
	// (single instance only) with the default bounds: when it is full of
	// live tokens (in all, or of one subject), logins and refreshes answer
	// 503 rather than forget a session.
	Refresh RefreshStore
	// Credentials finds login accounts. Required unless Clients is set;
	// without it Login answers 404. With it, Refresh also checks that the
	// session's subject still names an enabled account
	// (CredentialStore.LookupSubject), so a session started with IssuePair
	// for a subject outside the store cannot refresh, and issues the
	// session's scopes less those the account no longer has.
	Credentials CredentialStore
	// Revocations receives the jti of the access token a logout presents,
	// the session (family id) of every family that logout, reuse detection
	// or RevokeSession kills and the not-before of every subject
	// RevokeSubject revokes, which Refresh reads back. Required, and it
	// must be the store the bearer middleware checks.
	Revocations Revoker
	// Accounts applies an account's IP allowlist at login (before the
	// password is checked) and at refresh, keyed by the session's Tenant,
	// or its Subject when Tenant is empty, as ipallow.PerPrincipal keys
	// API calls by default; nil means no per-account allowlists.
	Accounts AccountChecker
	// Throttle limits failed logins per client address (key "ip:" +
	// ratelimit.AddrKey(addr): an IPv4 address, an IPv6 /64) and per user
	// name ("user:<name>"), and failed token-endpoint client
	// authentications per address and per client ("client:<id>"). Each
	// attempt is counted (Begin) before any credential is looked up or
	// checked; nil means no throttling.
	Throttle Throttle

	// Clients finds the registered clients of the OAuth token endpoint
	// (Issuer.Token): client_credentials and jwt-bearer grants. Required
	// unless Credentials is set; without it Token refuses every grant
	// (unsupported_grant_type).
	Clients ClientStore
	// Replay remembers, per client, the notificationKey of every accepted
	// jwt-bearer assertion for AssertionWindow + AssertionLeeway (as long as
	// an assertion carrying it could be accepted); nil means a new
	// MemoryReplay on Now (single instance only) with the default bounds:
	// when it is full of live keys (in all, or of one client), assertion
	// grants answer 503 rather than forget one.
	Replay ReplayStore
	// AssertionAudience lists the identifiers of this server that a
	// jwt-bearer assertion's "aud" may name (RFC 7523 §3): the issuer's
	// identifier, the token endpoint's URL. Empty means []string{Issuer}.
	// An assertion with an aud naming none of them is invalid_grant; one
	// without aud is accepted, since seed 002's assertions carry none.
	AssertionAudience []string
	// AssertionWindow is how old an assertion's iat may be; 0 means
	// DefaultAssertionWindow (5 minutes).
	AssertionWindow time.Duration
	// AssertionLeeway is how far in the future an assertion's iat may be,
	// for clock skew; 0 means DefaultAssertionLeeway (30 s). It may not
	// exceed AssertionWindow.
	AssertionLeeway time.Duration
	// SessionTTL is the lifetime of the tokens the token endpoint issues;
	// 0 means AccessTTL.
	SessionTTL time.Duration
	// TokenStyle renders token-endpoint errors; nil means envelope.OAuth
	// (RFC 6749 §5.2), whatever the request's style.
	TokenStyle envelope.Style

	// BcryptCost is the cost of the dummy hash unknown users are checked
	// against; use the cost of the stored hashes. 0 means DefaultBcryptCost.
	BcryptCost int
	// MaxBodyBytes caps login and refresh bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Realm is the realm of the Bearer challenge (WWW-Authenticate) that
	// login, refresh and logout send with every 401 (empty means a
	// challenge without realm), and of the Basic challenge the token
	// endpoint sends with invalid_client (empty means Issuer).
	Realm string

	// Style renders errors; nil means the request's style (envelope.Use),
	// else envelope.Nested, seed 000's shape.
	Style envelope.Style
	// Audit receives login, refresh, reuse, logout and IP-denial events;
	// nil means none. Events never carry token or password material.
	Audit gatehouse.Auditor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}
