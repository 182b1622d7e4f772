// Package apikey authenticates requests by an API key sent in one header,
// verified against a store of key hashes, bound to a tenant and to the API
// surfaces the key may call.
//
//	auth, err := apikey.New(apikey.Config{
//		Store:        store,                                   // apikey.NewMemoryStore() or a shared store
//		Header:       "ApiKey",                                // the default; "apikey", "X-API-Key", …
//		Tenant:       apikey.TenantHeader("X-Tenant-ID"),      // or TenantPathValue, TenantSubdomain
//		Surface:      "payment",                               // keys must list it in Record.Surfaces
//		Unauthorized: envelope.ErrUnauthorized.WithNumber(-23), // seed 003's numeric code
//		Style:        envelope.Numeric,
//	})
//	mux.Handle("POST /Payment/Charges/Create", auth.Middleware(charges))
//
// On success the handler finds a [gatehouse.Principal] in the request
// context: Method gatehouse.MethodAPIKey, TokenID the key's ID, Tenant,
// Scopes (so that the scopes and ratelimit packages treat keys and tokens
// alike), ExpiresAt, Subject (the record's Subject, else the key ID) and
// Claims, the key's *[Record] without its hash (read-only: it may be shared
// with other requests).
//
// # Decisions
//
// Check runs the cheapest checks first and stops at the first failure:
//
//	no key header                                   401  ErrMissingKey        "API key required"
//	the header sent twice (two lines)               401  ErrDuplicateHeader   "Invalid API key"
//	empty value                                     401  ErrMalformedKey      "Invalid API key"
//	longer than MaxLength (default 128)             401  ErrKeyTooLong        "Invalid API key"
//	bad format or checksum                          401  ErrMalformedKey      "Invalid API key"
//	environment not in Config.Environments          401  ErrWrongEnv          "Invalid API key"
//	the request names no tenant                     401  ErrNoTenant          "Invalid API key"
//	  — none of the above hashes the key or touches the store —
//	no record for the key's hash                    401  ErrKeyNotFound       "Invalid API key"
//	revoked                                         401  ErrKeyRevoked        "API key revoked"
//	expired (Expires <= now)                        401  ErrKeyExpired        "API key expired"
//	key of another tenant than the one requested    401  ErrWrongTenant       "Invalid API key"
//	key valid but not allowed on Config.Surface     403  ErrSurfaceDenied     "API key not allowed on this endpoint"
//	store failure                                   503  ErrStore             "Authentication temporarily unavailable"
//
// The header name is case-insensitive, as HTTP header names are. The key
// is never read from the query string, where URLs leak into logs,
// histories and Referer headers. Two lines of the key header are refused
// with 401, not 400: a request carrying two keys is ambiguous (which one
// would be verified depends on the reader — a classic confusion between a
// proxy and a backend), and seed 003 documents every credential problem,
// "malformed" included, as one 401 with code -23, which clients handle
// uniformly. A single line with a comma ("k1, k2", what some proxies make of
// two lines) is malformed: no key contains a comma. A store failure never
// lets a request through.
//
// Refusals are rendered only by envelope.WriteStyle with Config.Style (nil:
// the style chosen with envelope.Use, else envelope.Nested). The errors are
// precomputed, so refusing allocates nothing in this package; errors.Is on
// the error returned by Check matches both the envelope error and the cause.
//
// # Numeric codes (seed 003)
//
// Seed 003 answers {"code":-23,"message":"..."} for every 401. Either set
// the code on the error the 401s derive from,
//
//	Config{Unauthorized: envelope.ErrUnauthorized.WithNumber(-23), Style: envelope.Numeric}
//
// (and likewise Forbidden and Unavailable), or keep the default errors and
// map their string codes in the style, which then covers every other
// middleware behind envelope.Use too:
//
//	envelope.NumericStyle{Codes: map[string]int{"UNAUTHORIZED": -23, "FORBIDDEN": -24}}
//
// # Key format
//
//	ak_live_MMq462ztEQO6XKMFtHv1qeCUClHzziTx38P8Ds
//	└┬┘└┬─┘ └───────── 32 random ──────────┘└─┬──┘
//	 │   └ environment: 1–16 of [a-z0-9]      └ CRC-32 of the rest, 6 base62 digits
//	 └ prefix "ak_"
//
// A key is "ak_", an environment label ("live", "test", …), "_", 32
// characters of [0-9A-Za-z] from crypto/rand (190 bits; rejection sampling
// keeps every character equally likely) and the CRC-32 (IEEE) of everything
// before it as 6 base62 digits — 46 bytes for "live". The checksum lets
// [ParseKey] reject typos, truncations and garbage without a store lookup,
// and lets secret scanners match leaked keys with few false positives:
//
//	\bak_[a-z0-9]{1,16}_[0-9A-Za-z]{38}\b   then verify the checksum
//
// The environment lets a server refuse test keys in production
// (Config.Environments) before any lookup, and tells a human which key
// leaked. [DisplayPrefix] ("ak_live_MMq462") names a key in dashboards and
// audit events; it reveals 36 of the 190 random bits. [Generate] returns the
// plaintext exactly once, with the [Record] to store.
//
// Keys issued elsewhere (seed 002's "ABCD", seed 003's hex keys, fixed keys
// from configuration) are imported with [MemoryStore.Add] and accepted with
// FormatOpaque, which checks only length and character set.
//
// # Hashing
//
// A store keeps the SHA-256 of each key, never the key, and is keyed by it.
// Plain SHA-256 is the right tool for generated keys, and HMAC with a
// server-side pepper is not needed:
//
//   - A key has 190 random bits. Reversing a stolen digest means a search
//     of 2^190 (SHA-256 preimage resistance), so a leaked table of digests
//     grants nothing. Salts and slow password hashes (bcrypt, Argon2) exist
//     to protect low-entropy secrets against guessing; for random keys they
//     add nothing but cost — a slow hash on every request would also be a
//     denial-of-service lever.
//   - A pepper (HMAC-SHA-256 under a server secret) only helps when the
//     store leaks and the pepper does not, and only for keys weak enough to
//     guess. In exchange it is one more secret to distribute to every
//     instance and every tool that creates keys, and rotating it
//     invalidates every key at once. The digest also stays
//     implementation-neutral: any store, script or scanner that knows a key
//     can compute it, as bearer's opaque tokens are stored by SHA-256 too.
//   - SHA-256 costs one compression per short key (about 100 ns; no more
//     with SHA extensions), well under the per-request budget.
//
// Imported keys under FormatOpaque are the exception: their entropy is the
// issuer's. Import only keys of at least 128 random bits, and replace
// others with generated keys.
//
// # Timing
//
// Response time does not depend on how much of a key an attacker has
// guessed right:
//
//   - The key is never compared, as a string, with anything secret. It is
//     hashed and the digest is the lookup key. A map (or any index) compares
//     digests, and a key that matches a stored key in its first n
//     characters has a digest unrelated to the stored digest, so whatever
//     early exit the comparison makes reveals nothing about the key.
//   - The store confirms the match with subtle.ConstantTimeCompare on the
//     full digest (a store contract; the memory store does it).
//   - The format check before the lookup works on public data only: the
//     checksum of a key is no secret, anyone can compute it.
//   - Lookups return records without the digest, so nothing downstream can
//     compare it carelessly.
//
// The tests check these properties, not wall-clock times (which are noisy
// and prove little): near-miss keys that differ from a stored key in its
// first, a middle or its last character all take the same path — one
// lookup of their own digest, the same response bytes, the same audit
// reason; near misses with a bad checksum are all rejected before the
// store; the store sees only SHA-256 digests; the conformance kit checks
// that digests differing in their first, middle or last byte are not found.
//
// # Last used
//
// Record.LastUsed is refreshed with Store.Touch only when it is older than
// Config.TouchInterval (default one minute): one write per key per interval,
// however busy the key, and none when disabled with a negative interval.
// The memory store publishes a new immutable snapshot on Touch (copy on
// write), so lookups stay lock-light and allocation-free. A failed Touch
// does not refuse the request; the next one retries.
//
// # Audit
//
// With Config.Audit set, every decision emits one gatehouse.Event (source
// "apikey", action "authenticate") with the outcome, a reason such as
// "revoked_key" or "wrong_tenant", the status, the key's tenant and
// subject, and as CredID the key's ID — or, for a well-formed key not in
// the store, its display prefix. Never the key.
//
// # Stores
//
// [Store] is keyed by the SHA-256 digest; the hash goes in with Put and
// never comes out of Lookup. [NewMemoryStore] is safe for concurrent use;
// package apikeytest holds the conformance tests any other implementation
// (Redis, SQL) must pass.
//
// # Performance
//
// See README.md for the benchmark table: a request through the middleware
// into a 204 handler with 10,000 keys stored, beside its floors measured in
// the same run.
package apikey
