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
	DefaultMaxBodyBytes = 4 << 10            // login/refresh body cap
)

// Config configures an [Issuer]. Issuer, Key, Credentials and Revocations
// are required; every other zero field has the default its comment names.
type Config struct {
	// Issuer is the "iss" claim; the bearer middleware's Issuers must list it.
	Issuer string
	// Audience is the "aud" claim (a string when it has one member). Empty
	// means []string{Issuer}.
	Audience []string
	// Key signs access tokens: an HMAC secret (HS256 by default) or an
	// ECDSA / Ed25519 / RSA private key. Configure the bearer middleware
	// with VerificationKey.
	Key SigningKey

	// AccessTTL is the access-token lifetime; 0 means DefaultAccessTTL (1h).
	AccessTTL time.Duration
	// RefreshTTL is each refresh token's lifetime, counted again at every
	// rotation; 0 means DefaultRefreshTTL (7 days).
	RefreshTTL time.Duration

	// Refresh stores refresh-token families; nil means a new MemoryRefresh
	// (single instance only).
	Refresh RefreshStore
	// Credentials finds login accounts. Required.
	Credentials CredentialStore
	// Revocations receives the jti of every access token that logout or a
	// family revocation kills. Required, and it must be the store the
	// bearer middleware checks.
	Revocations Revoker
	// Accounts applies an account's IP allowlist at login (before the
	// password is checked) and at refresh, keyed by the session's Tenant,
	// or its Subject when Tenant is empty, as ipallow.PerPrincipal keys
	// API calls by default; nil means no per-account allowlists.
	Accounts AccountChecker
	// Throttle limits failed logins per client IP (key "ip:<addr>") and per
	// user name (key "user:<name>"); nil means no throttling.
	Throttle Throttle

	// BcryptCost is the cost of the dummy hash unknown users are checked
	// against; use the cost of the stored hashes. 0 means DefaultBcryptCost.
	BcryptCost int
	// MaxBodyBytes caps login and refresh bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Realm is the realm of the WWW-Authenticate challenge logout sends
	// with a 401; empty means none.
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
