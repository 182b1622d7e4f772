package bearer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// An Authenticator verifies bearer tokens. Build it with [New]; it is safe
// for concurrent use. With remote key sets it owns a background goroutine
// per set: call [Authenticator.Close] when done with it.
type Authenticator struct {
	// What every request reads, first: a cache hit touches these alone.
	now      func() time.Time
	unix     func() int64 // the Unix second of now, for cache lookups (unixClock)
	cache    *tokenCache
	revoked  RevocationStore
	dpop     *dpop.Verifier // nil when the DPoP scheme is off
	dpopMode DPoPMode
	jwtOn    bool // false when JWTs are disabled
	style    envelope.Style
	audit    gatehouse.Auditor

	// JWT verification.
	wall     func() time.Time        // what claims are checked against (claimsClock)
	algs     []string                // every issuer's algorithms, without duplicates
	single   *issuerState            // the issuer when there is exactly one
	issuers  map[string]*issuerState // by "iss", with several
	all      []*issuerState
	required []string
	names    *compact.Names // the claims read, see newClaimNames
	headers  [headerMemos]atomic.Pointer[headerMemo]
	// requiredIdx holds the index in names of each required claim.
	requiredIdx []int
	validate    func(context.Context, Claims) error
	custom      CustomClaims
	needJTI     bool
	maxAge      int64 // seconds a verified token may stay cached
	tokens      TokenStore

	certHeader string
	metadata   http.Handler // serves Config.Metadata, when its Resource is set

	errs     [numReasons]*envelope.Error // the refusals, prebuilt
	dpopErrs [numReasons]*envelope.Error // the refusals of DPoP-scheme requests
	// errs and dpopErrs prepared for writing in style.
	prepared     [numReasons]*envelope.Prepared
	dpopPrepared [numReasons]*envelope.Prepared
}

// New validates cfg and returns an Authenticator. Configuration mistakes —
// no key source, an algorithm outside the supported set or "none", a key not
// matching its algorithm, an HMAC secret shorter than its hash, an RSA key
// under 2048 bits, several keys without distinct IDs, a leeway over
// MaxLeeway, a bad JWK Set or issuer URL — are reported together in one
// error wrapping [ErrConfig]. Remote key sets are fetched, and issuers
// discovered, in the background: New does not wait for them unless
// Config.WaitReady says so, and a token of an issuer without keys yet is
// answered 503.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{
		now:      cfg.Now,
		style:    cfg.Style,
		audit:    cfg.Audit,
		tokens:   cfg.Tokens,
		revoked:  cfg.Revocations,
		required: slices.Clone(cfg.RequiredClaims),
		validate: cfg.Validate,
		custom:   cfg.Custom,
		needJTI:  cfg.Revocations != nil,
	}
	a.unix, a.wall = unixClock(a.now), claimsClock(a.now)
	if a.now == nil {
		a.now = time.Now
	}
	cfg.Now = a.now

	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	all, errs := buildIssuers(cfg)
	problems = append(problems, errs...)
	a.jwtOn = len(cfg.Issuers) > 0 || len(cfg.Keys) > 0 || cfg.JWKSURL != ""
	if !a.jwtOn && cfg.Tokens == nil {
		bad("no Issuers, Keys, JWKSURL or Tokens configured")
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
	if cfg.WaitReady < 0 {
		bad("negative WaitReady")
	}
	switch {
	case cfg.DPoP.Mode > DPoPRequired:
		bad("unknown DPoP.Mode %d", cfg.DPoP.Mode)
	case cfg.DPoP.Mode != DPoPOff && cfg.DPoP.Verifier == nil:
		bad("DPoP.Mode needs a DPoP.Verifier")
	}
	if cfg.ClientCertHeader != "" && !validHeaderName(cfg.ClientCertHeader) {
		bad("ClientCertHeader %q is not a header name", cfg.ClientCertHeader)
	}
	problems = append(problems, checkFetch(cfg.Fetch)...)
	metadata, metadataURL, err := newMetadata(cfg)
	if err != nil {
		problems = append(problems, unprefixed{err})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	a.metadata = metadata
	c := challenger{realm: cfg.Realm, metadata: metadataURL, bearer: cfg.DPoP.Mode != DPoPRequired}
	if cfg.DPoP.Mode != DPoPOff {
		a.dpop, a.dpopMode, c.dpop = cfg.DPoP.Verifier, cfg.DPoP.Mode, cfg.DPoP.Verifier
		a.dpopErrs = buildErrors(c, cfg.Message, true)
		a.dpopPrepared = prepareErrors(a.style, &a.dpopErrs)
	}
	a.errs = buildErrors(c, cfg.Message, false)
	a.prepared = prepareErrors(a.style, &a.errs)
	a.certHeader = cfg.ClientCertHeader
	a.maxAge = max(int64(orDefault(cfg.CacheMaxAge, DefaultCacheMaxAge)/time.Second), 1)

	if a.jwtOn {
		a.all = all
		if len(all) == 1 {
			a.single = all[0]
		} else {
			a.issuers = make(map[string]*issuerState, len(all))
			for _, is := range all {
				a.issuers[is.url] = is
			}
		}
		a.names = newClaimNames(a)
		for _, is := range all {
			for _, alg := range is.algs {
				if !slices.Contains(a.algs, alg) {
					a.algs = append(a.algs, alg)
				}
			}
		}
		size := DefaultCacheSize
		if cfg.CacheSize != nil {
			size = *cfg.CacheSize
		}
		a.cache = newTokenCache(size)
		log := cfg.Logger
		if log == nil {
			log = slog.Default()
		}
		startRemote(all, cfg.Fetch, log)
	}
	if cfg.WaitReady > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.WaitReady)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			_ = a.Close()
			return nil, err
		}
	}
	return a, nil
}

// checkFetch reports the problems of a Fetch policy.
func checkFetch(f Fetch) []error {
	var problems []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"Timeout", f.Timeout}, {"MinRefresh", f.MinRefresh}, {"MaxRefresh", f.MaxRefresh},
		{"Refresh", f.Refresh}, {"UnknownKIDInterval", f.UnknownKIDInterval}, {"UnknownKIDWait", f.UnknownKIDWait},
	} {
		if d.v < 0 {
			problems = append(problems, fmt.Errorf("negative Fetch.%s", d.name))
		}
	}
	if f.MaxBytes < 0 {
		problems = append(problems, errors.New("negative Fetch.MaxBytes"))
	}
	if orDefault(f.MinRefresh, time.Minute) > orDefault(f.MaxRefresh, 24*time.Hour) {
		problems = append(problems, errors.New("Fetch.MinRefresh exceeds Fetch.MaxRefresh"))
	}
	return problems
}

// unprefixed is a problem found by a helper whose error already wraps
// ErrConfig: it reads without the repeated "bearer: invalid
// configuration" and unwraps to the helper's error.
type unprefixed struct{ err error }

func (u unprefixed) Error() string {
	return strings.TrimPrefix(u.err.Error(), ErrConfig.Error()+": ")
}

func (u unprefixed) Unwrap() error { return u.err }

// Close stops fetching the remote key sets, if any. The Authenticator keeps
// working with the keys it has.
func (a *Authenticator) Close() error {
	for _, is := range a.all {
		if is.remote != nil {
			is.remote.close()
		}
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
// A request without credentials yields an error wrapping ErrNoToken. For a request with a bearer token and an
// application/x-www-form-urlencoded body, Check reads the body (at most
// MaxFormBytes) and replaces r.Body with a reader of the same bytes. Check
// is the decision alone: it audits nothing (Middleware does). With DPoP
// on, a request whose proof lacks the current nonce fails with
// [ErrDPoPNonce]: the caller's answer carries a DPoP-Nonce header with the
// verifier's Nonce, as Middleware's does.
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
// envelope.WriteStyle. Each request is audited once (Config.Audit): a
// refusal after it is rendered, an allowed request before next runs.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return a.handler(next, false)
}

// Optional is [Authenticator.Middleware] for routes that also serve
// anonymous callers: a request without an Authorization header goes to
// next without a Principal, while one with the header gets the same
// decision as from Middleware, so an expired or forged token, a header
// without a token or one of another scheme is refused, never served as
// anonymous. Optional and Middleware share the Authenticator's key sets,
// cache and revocation checks: one Authenticator serves both kinds of
// route. The anonymous request is audited as allowed, without a subject.
func (a *Authenticator) Optional(next http.Handler) http.Handler {
	return a.handler(next, true)
}

// Present reports whether r sends an Authorization header (a non-empty
// one, of any scheme): the credentials this Authenticator judges. It decides nothing: a present credential may still be refused. It is
// what [Authenticator.Optional] and credential selectors (package oneof)
// use to tell an anonymous request from one to judge.
func (a *Authenticator) Present(r *http.Request) bool {
	_, _, rs := tokenFromHeader(r.Header, a.dpop != nil)
	return rs != rMissing
}

// handler is Middleware, or Optional when optional is set.
func (a *Authenticator) handler(next http.Handler, optional bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, rs, err := a.check(r)
		if optional && rs == rMissing {
			rs = rOK // anonymous: no Principal
		}
		if rs != rOK {
			if rs == rNonce {
				w.Header().Set("DPoP-Nonce", a.dpop.Nonce()) // RFC 9449 §8
			}
			a.preparedFor(rs, err).WriteError(w, r, err)
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

// preparedFor returns the prepared refusal of reason rs that err, the
// refusal check returned for it, is written with: the DPoP scheme's when
// err carries its challenge. Its WriteError sends err's own rendering
// should err differ from it in anything but its cause.
func (a *Authenticator) preparedFor(rs reason, err error) *envelope.Prepared {
	if a.dpop != nil {
		if e, ok := err.(*envelope.Error); ok && e.Challenge == a.dpopErrs[rs].Challenge {
			return a.dpopPrepared[rs]
		}
	}
	return a.prepared[rs]
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

// validHeaderName reports whether name is an HTTP field name (RFC 9110
// §5.1: a token).
func validHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return name != ""
}
