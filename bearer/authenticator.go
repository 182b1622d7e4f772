package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// An Authenticator verifies bearer tokens. Build it with [New]; it is safe
// for concurrent use. With a remote JWKS it owns a background refresh
// goroutine: call [Authenticator.Close] when done with it.
type Authenticator struct {
	now      func() time.Time
	style    envelope.Style
	audit    gatehouse.Auditor
	optional bool
	errs     [numReasons]*envelope.Error

	// JWT verification; validator is nil when JWTs are disabled.
	validator *jwt.Validator
	algs      []string // the allowlist, without duplicates
	keys      map[string]Key
	only      *Key // the single static key, used for tokens without kid
	remote    *remoteKeys
	issuers   []string
	typ       string
	required  []string
	tenant    string
	validate  func(context.Context, Claims) error
	custom    CustomClaims
	needJTI   bool
	cache     *tokenCache
	maxAge    int64 // seconds a verified token may stay cached
	revoked   RevocationStore
	tokens    TokenStore
}

// New validates cfg and returns an Authenticator. Configuration mistakes —
// no key source, an algorithm outside the supported set or "none", a key not
// matching its algorithm, an HMAC secret shorter than its hash, an RSA key
// under 2048 bits, several keys without distinct IDs, a leeway over
// MaxLeeway, a bad JWKS URL — are reported together in one error wrapping
// [ErrConfig]. With a JWKS URL, New fetches the set once (bounded by
// JWKS.Timeout); an unreachable provider is not an error: requests fail
// closed until it answers.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{
		now:      cfg.Now,
		style:    cfg.Style,
		audit:    cfg.Audit,
		optional: cfg.Optional,
		tokens:   cfg.Tokens,
		revoked:  cfg.Revocations,
		issuers:  slices.Clone(cfg.Issuers),
		required: slices.Clone(cfg.RequiredClaims),
		tenant:   cfg.TenantClaim,
		typ:      cfg.TokenType,
		validate: cfg.Validate,
		custom:   cfg.Custom,
		needJTI:  cfg.Revocations != nil,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.tenant == "" {
		a.tenant = "tenant"
	}
	a.errs = buildErrors(cfg.Realm, cfg.Message)

	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	jwtOn := len(cfg.Keys) > 0 || cfg.JWKS.URL != ""
	if !jwtOn && cfg.Tokens == nil {
		bad("no Keys, JWKS or Tokens configured")
	}
	if !jwtOn && len(cfg.Algorithms) > 0 {
		bad("the Algorithms are set without Keys or JWKS")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		bad("the Leeway %v is outside [0, %v]", cfg.Leeway, MaxLeeway)
	}
	if cfg.CacheSize != nil && *cfg.CacheSize < 0 {
		bad("negative CacheSize")
	}
	if cfg.CacheMaxAge < 0 {
		bad("negative CacheMaxAge")
	}
	a.maxAge = int64(orDefault(cfg.CacheMaxAge, DefaultCacheMaxAge) / time.Second)
	a.maxAge = max(a.maxAge, 1)
	if slices.Contains(cfg.Issuers, "") {
		bad("empty issuer")
	}
	if slices.Contains(cfg.Audiences, "") {
		bad("empty audience")
	}
	var jwksURL *url.URL
	if jwtOn {
		problems = append(problems, a.initKeys(cfg)...)
		if cfg.JWKS.URL != "" {
			u, err := parseJWKSURL(cfg.JWKS)
			if err != nil {
				problems = append(problems, err)
			}
			jwksURL = u
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	if jwtOn {
		a.initValidator(cfg)
		if jwksURL != nil {
			rk, err := newRemoteKeys(cfg.JWKS, jwksURL, a.algs)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrConfig, err)
			}
			a.remote = rk
		}
	}
	return a, nil
}

// initKeys checks and binds the algorithms and static keys of cfg, and
// returns the problems it found.
func (a *Authenticator) initKeys(cfg Config) []error {
	var problems []error
	if len(cfg.Algorithms) == 0 {
		problems = append(problems, errors.New("an explicit Algorithms allowlist is required"))
	}
	algs := make([]string, 0, len(cfg.Algorithms))
	for _, alg := range cfg.Algorithms {
		if err := checkAlgorithm(alg); err != nil {
			problems = append(problems, unprefixed{err})
		} else if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	a.keys = make(map[string]Key, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if !slices.Contains(algs, k.Algorithm) {
			problems = append(problems, fmt.Errorf("key %d (%q) uses %q, which is not in Algorithms", i, k.ID, k.Algorithm))
			continue
		}
		bound, err := bindKey(k.Algorithm, k.Key)
		if err != nil {
			problems = append(problems, fmt.Errorf("key %d (%q): %w", i, k.ID, unprefixed{err}))
			continue
		}
		if k.ID == "" && (len(cfg.Keys) > 1 || cfg.JWKS.URL != "") {
			problems = append(problems, fmt.Errorf("key %d has no ID; with several keys every key needs one", i))
			continue
		}
		if _, dup := a.keys[k.ID]; dup {
			problems = append(problems, fmt.Errorf("duplicate key ID %q", k.ID))
			continue
		}
		a.keys[k.ID] = Key{ID: k.ID, Algorithm: k.Algorithm, Key: bound}
	}
	if len(cfg.Keys) == 1 && cfg.JWKS.URL == "" {
		if k, ok := a.keys[cfg.Keys[0].ID]; ok {
			a.only = &k
		}
	}
	a.algs = algs
	return problems
}

// initValidator sets up the claims checks and the verified-token cache of
// a valid cfg that enables JWTs.
func (a *Authenticator) initValidator(cfg Config) {
	// The claims checks golang-jwt's parser made with these options; the
	// algorithm allowlist and strict decoding are splitJWS's.
	opts := []jwt.ParserOption{
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(a.now),
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(slices.Clone(cfg.Audiences)...))
	}
	a.validator = jwt.NewValidator(opts...)
	size := DefaultCacheSize
	if cfg.CacheSize != nil {
		size = *cfg.CacheSize
	}
	a.cache = newTokenCache(size)
}

// unprefixed is a problem found by a helper whose error already wraps
// ErrConfig: it reads without the repeated "bearer: invalid
// configuration" and unwraps to the helper's error.
type unprefixed struct{ err error }

func (u unprefixed) Error() string {
	return strings.TrimPrefix(u.err.Error(), ErrConfig.Error()+": ")
}

func (u unprefixed) Unwrap() error { return u.err }

// Close stops the background JWKS refresh, if any. The Authenticator keeps
// working with the keys it has.
func (a *Authenticator) Close() error {
	if a.remote != nil {
		a.remote.close()
	}
	return nil
}

// FlushCache forgets every cached verified token, so that the next request
// with each is verified again — for instance after removing a compromised
// static key (a new Authenticator is needed for that anyway). Withdrawing a
// key from a JWKS needs no flush: a cached token is served only while the
// key that verified it is still in the set. Revoked tokens need no flush
// either: revocation is checked on every request.
func (a *Authenticator) FlushCache() {
	if a.cache != nil {
		a.cache.flush()
	}
}

// Check authenticates r and returns its Principal. On failure the error is
// an [*envelope.Error] ready to render — 401 with its WWW-Authenticate
// challenge, 400 for several Authorization headers or for an access_token
// in the query or form body beside the header's token, 503 when a store or the
// key source fails — that wraps a sentinel such as [ErrNoToken],
// [ErrTokenExpired] or [ErrTokenRevoked] (and, for 503, the store's error).
// Check ignores Config.Optional: a request without credentials yields an
// error wrapping ErrNoToken. For a request with a bearer token and an
// application/x-www-form-urlencoded body, Check reads the body (at most
// MaxFormBytes) and replaces r.Body with a reader of the same bytes. Check
// is the decision alone: it audits nothing (Middleware does).
func (a *Authenticator) Check(r *http.Request) (gatehouse.Principal, error) {
	p, rs, err := a.check(r)
	if rs != rOK {
		return gatehouse.Principal{}, err
	}
	return p.Clone(), nil // p may be the cache's: the caller gets its own Scopes
}

// Middleware authenticates each request with [Authenticator.Check] and
// calls next with the Principal in the request context
// ([gatehouse.PrincipalFrom]), or renders the refusal with
// envelope.WriteStyle. With Config.Optional, a request without an
// Authorization header goes to next without a Principal. Each request is
// audited once (Config.Audit): a refusal after it is rendered, an allowed
// request, the anonymous one of Config.Optional included, before next
// runs.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, rs, err := a.check(r)
		if rs == rMissing && a.optional {
			rs = rOK // anonymous: no Principal
		}
		if rs != rOK {
			envelope.WriteStyle(w, r, a.style, err)
			if a.audit != nil {
				a.emit(r, rs, nil)
			}
			return
		}
		if a.audit != nil {
			a.emit(r, rOK, p)
		}
		if p != nil {
			r = r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// emit reports one decision. p is the authenticated Principal, or nil.
func (a *Authenticator) emit(r *http.Request, rs reason, p *gatehouse.Principal) {
	ev := gatehouse.NewEvent(r, "bearer", "authenticate")
	ev.Time = a.now()
	ev.Conclude(refusals[rs].Status, refusals[rs].Reason)
	if p != nil {
		ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	}
	gatehouse.Emit(r.Context(), a.audit, ev)
}
