package bearer

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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
// MaxLeeway, a bad JWKS URL — are errors wrapping [ErrConfig]. With a JWKS
// URL, New fetches the set once (bounded by JWKS.Timeout); an unreachable
// provider is not an error: requests fail closed until it answers.
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
	realm := cfg.Realm
	if realm == "" {
		realm = "api"
	}
	a.errs = buildErrors(realm, cfg.Message)

	jwtOn := len(cfg.Keys) > 0 || cfg.JWKS.URL != ""
	if !jwtOn && cfg.Tokens == nil {
		return nil, fmt.Errorf("%w: no Keys, JWKS or Tokens configured", ErrConfig)
	}
	if !jwtOn && len(cfg.Algorithms) > 0 {
		return nil, fmt.Errorf("%w: Algorithms set without Keys or JWKS", ErrConfig)
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("%w: Leeway %v outside [0, %v]", ErrConfig, cfg.Leeway, MaxLeeway)
	}
	if cfg.CacheSize != nil && *cfg.CacheSize < 0 {
		return nil, fmt.Errorf("%w: negative CacheSize", ErrConfig)
	}
	if cfg.CacheMaxAge < 0 {
		return nil, fmt.Errorf("%w: negative CacheMaxAge", ErrConfig)
	}
	a.maxAge = int64(orDefault(cfg.CacheMaxAge, DefaultCacheMaxAge) / time.Second)
	a.maxAge = max(a.maxAge, 1)
	for _, s := range cfg.Issuers {
		if s == "" {
			return nil, fmt.Errorf("%w: empty issuer", ErrConfig)
		}
	}
	for _, s := range cfg.Audiences {
		if s == "" {
			return nil, fmt.Errorf("%w: empty audience", ErrConfig)
		}
	}
	if jwtOn {
		if err := a.initJWT(cfg); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *Authenticator) initJWT(cfg Config) error {
	if len(cfg.Algorithms) == 0 {
		return fmt.Errorf("%w: an explicit Algorithms allowlist is required", ErrConfig)
	}
	algs := make([]string, 0, len(cfg.Algorithms))
	for _, alg := range cfg.Algorithms {
		if err := checkAlgorithm(alg); err != nil {
			return err
		}
		if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	a.keys = make(map[string]Key, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if !slices.Contains(algs, k.Algorithm) {
			return fmt.Errorf("%w: key %d (%q) uses %q, which is not in Algorithms", ErrConfig, i, k.ID, k.Algorithm)
		}
		bound, err := bindKey(k.Algorithm, k.Key)
		if err != nil {
			return fmt.Errorf("key %d (%q): %w", i, k.ID, err)
		}
		if k.ID == "" && (len(cfg.Keys) > 1 || cfg.JWKS.URL != "") {
			return fmt.Errorf("%w: key %d has no ID; with several keys every key needs one", ErrConfig, i)
		}
		if _, dup := a.keys[k.ID]; dup {
			return fmt.Errorf("%w: duplicate key ID %q", ErrConfig, k.ID)
		}
		a.keys[k.ID] = Key{ID: k.ID, Algorithm: k.Algorithm, Key: bound}
	}
	if len(cfg.Keys) == 1 && cfg.JWKS.URL == "" {
		k := a.keys[cfg.Keys[0].ID]
		a.only = &k
	}
	if cfg.Type != "" {
		a.typ = cfg.Type
	}
	a.algs = algs
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
	if cfg.JWKS.URL != "" {
		rk, err := newRemoteKeys(cfg.JWKS, algs)
		if err != nil {
			return err
		}
		a.remote = rk
	}
	size := DefaultCacheSize
	if cfg.CacheSize != nil {
		size = *cfg.CacheSize
	}
	a.cache = newTokenCache(size)
	return nil
}

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
// MaxFormBytes) and replaces r.Body with a reader of the same bytes.
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
// Authorization header goes to next without a Principal.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, rs, err := a.check(r)
		if rs == rOK {
			if a.audit != nil {
				a.emit(r, rs, p)
			}
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p)))
			return
		}
		if rs == rMissing && a.optional {
			if a.audit != nil {
				a.emit(r, rOK, nil)
			}
			next.ServeHTTP(w, r)
			return
		}
		if a.audit != nil {
			a.emit(r, rs, nil)
		}
		envelope.WriteStyle(w, r, a.style, err)
	})
}

// emit reports one decision. p is the authenticated Principal, or nil.
func (a *Authenticator) emit(r *http.Request, rs reason, p *gatehouse.Principal) {
	ev := gatehouse.NewEvent(r, "bearer", "authenticate")
	ev.Time = a.now()
	ev.Status = rs.status()
	switch {
	case rs == rOK:
		ev.Outcome = gatehouse.Allowed
		if p == nil {
			ev.Reason = "anonymous"
		}
	case rs == rUnavailable:
		ev.Outcome = gatehouse.Failed
		ev.Reason = gatehouse.Reason(reasonInfo[rs].audit)
	default:
		ev.Outcome = gatehouse.Denied
		ev.Reason = gatehouse.Reason(reasonInfo[rs].audit)
	}
	if p != nil {
		ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	}
	gatehouse.Emit(r.Context(), a.audit, ev)
}
