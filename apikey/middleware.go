package apikey

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// An Authenticator authenticates requests by the API key in one header. It
// is safe for concurrent use; create it with [New].
type Authenticator struct {
	store    Store
	cached   principalStore // store, when it keeps Principals; else nil
	header   string         // canonical form
	format   Format
	envs     []string
	maxLen   int
	tenant   func(*http.Request) string
	surface  string
	optional bool
	touch    time.Duration
	touched  touchSlots
	style    envelope.Style
	audit    gatehouse.Auditor
	now      func() time.Time
	unavail  *envelope.Error
	refusals refusals

	throttle    Throttle
	throttleKey func(*http.Request) string
}

// A refusal is a precomputed failure: the client error and the audit reason.
type refusal struct {
	err    *envelope.Error
	reason string
}

type refusals struct {
	missing, duplicate, empty, tooLong, malformed, wrongEnv,
	unknown, revoked, expired, noTenant, wrongTenant, surface refusal
}

// New returns an Authenticator for cfg, or an error describing every
// invalid field.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	unauth := func(msg, reason string, cause error) refusal {
		e := cfg.Unauthorized.WithMessage(msg).WithCause(cause).WithChallenge(cfg.Challenge)
		return refusal{err: e, reason: reason}
	}
	const invalid = "Invalid API key"
	// A key refused on this surface is access_denied in the OAuth style
	// (unless Forbidden names its own code): no scope would admit it.
	forbidden := cfg.Forbidden
	if forbidden.OAuthCode == "" {
		forbidden = forbidden.WithOAuthCode("access_denied")
	}
	cached, _ := cfg.Store.(principalStore)
	return &Authenticator{
		store:    cfg.Store,
		cached:   cached,
		header:   cfg.Header,
		format:   cfg.Format,
		envs:     slices.Clone(cfg.Environments),
		maxLen:   cfg.MaxLength,
		tenant:   cfg.Tenant,
		surface:  cfg.Surface,
		optional: cfg.Optional,
		touch:    cfg.TouchInterval,
		style:    cfg.Style,
		audit:    cfg.Audit,
		now:      cfg.Now,
		unavail:  cfg.Unavailable.WithMessage("Authentication temporarily unavailable"),

		throttle:    cfg.Throttle,
		throttleKey: cfg.ThrottleKey,
		refusals: refusals{
			missing:     unauth("API key required", "missing_key", ErrMissingKey),
			duplicate:   unauth(invalid, "duplicate_header", ErrDuplicateHeader),
			empty:       unauth(invalid, "empty_key", ErrMalformedKey),
			tooLong:     unauth(invalid, "key_too_long", ErrKeyTooLong),
			malformed:   unauth(invalid, "malformed_key", ErrMalformedKey),
			wrongEnv:    unauth(invalid, "wrong_environment", ErrWrongEnv),
			unknown:     unauth(invalid, "unknown_key", ErrKeyNotFound),
			revoked:     unauth("API key revoked", "revoked_key", ErrKeyRevoked),
			expired:     unauth("API key expired", "expired_key", ErrKeyExpired),
			noTenant:    unauth(invalid, "no_tenant", ErrNoTenant),
			wrongTenant: unauth(invalid, "wrong_tenant", ErrWrongTenant),
			surface: refusal{
				err:    forbidden.WithMessage("API key not allowed on this endpoint").WithCause(ErrSurfaceDenied),
				reason: "surface_denied",
			},
		},
	}, nil
}

// MustNew is New that panics on a configuration error, for tests and
// examples.
func MustNew(cfg Config) *Authenticator {
	a, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return a
}

// Middleware authenticates each request with [Authenticator.Check]. On
// success it calls next with the Principal in the request context
// (gatehouse.PrincipalFrom); on failure it renders the refusal with
// envelope.WriteStyle and does not call next. With Config.Optional, a
// request without the key header goes to next unauthenticated.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.optional && len(r.Header[a.header]) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.check(r)
		if err != nil {
			envelope.WriteStyle(w, r, a.style, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p)))
	})
}

// Check decides whether r carries an acceptable key, in this order, each
// step cheaper than the next:
//
//  0. with Config.Throttle, when r carries the key header: the attempt is
//     counted, and a throttle key at its limit is refused (429);
//  1. exactly one key header, not empty, at most MaxLength bytes (401);
//  2. the key format, checksum and environment (401, no hashing);
//  3. a requested tenant, when Config.Tenant is set (401);
//  4. the SHA-256 lookup in the store (401 unknown, 503 store failure);
//  5. revoked, expired, another tenant's key (401); the surface (403).
//
// It returns the Principal for the key: Method gatehouse.MethodAPIKey,
// TokenID the key ID, Subject the record's Subject (else the key ID),
// Tenant, Scopes and ExpiresAt from the record, and Claims a [RecordView]
// of the record (read with [RecordFrom]). The Principal is the caller's
// own copy: changing its Scopes changes no other request's. A refusal is an *envelope.Error wrapping
// one of the package's Err… causes. Check ignores Config.Optional (a
// missing key is ErrMissingKey) and emits one audit event per call.
func (a *Authenticator) Check(r *http.Request) (gatehouse.Principal, error) {
	p, err := a.check(r)
	if err != nil {
		return gatehouse.Principal{}, err
	}
	return p.Clone(), nil
}

// check is Check returning the Principal by pointer. The Principal may be
// shared with every request using the same key: it must not be modified.
func (a *Authenticator) check(r *http.Request) (*gatehouse.Principal, error) {
	attempt, terr := a.beginAttempt(r)
	if terr != nil {
		a.emitThrottle(r, terr)
		return nil, terr
	}
	rec, p, key, ref, err := a.decide(r)
	if err != nil {
		if terr := a.endAttempt(r.Context(), attempt); terr != nil {
			err = terr
		}
		a.emit(r, rec, key, gatehouse.Failed, "store_error", err.Status)
		return nil, err
	}
	if ref != nil && ref != &a.refusals.surface {
		// The attempt stays counted: the failure.
		a.emit(r, rec, key, gatehouse.Denied, ref.reason, ref.err.Status)
		return nil, ref.err
	}
	if terr := a.endAttempt(r.Context(), attempt); terr != nil {
		a.emit(r, rec, key, gatehouse.Failed, "store_error", terr.Status)
		return nil, terr
	}
	if ref != nil {
		a.emit(r, rec, key, gatehouse.Denied, ref.reason, ref.err.Status)
		return nil, ref.err
	}
	a.emit(r, rec, key, gatehouse.Allowed, "", 0)
	if p == nil {
		built := newPrincipal(rec)
		p = &built
	}
	return p, nil
}

// decide returns the record on success, a precomputed refusal, or a store
// failure. On success p is the store's cached Principal for the record, or
// nil when the store keeps none. The key is returned only so that audit
// events can show its display prefix; it never leaves this file otherwise.
func (a *Authenticator) decide(r *http.Request) (rec *Record, p *gatehouse.Principal, key string, ref *refusal, fail *envelope.Error) {
	rs := &a.refusals
	vals := r.Header[a.header]
	switch {
	case len(vals) == 0:
		return nil, nil, "", &rs.missing, nil
	case len(vals) > 1:
		return nil, nil, "", &rs.duplicate, nil
	}
	key = vals[0]
	switch {
	case key == "":
		return nil, nil, "", &rs.empty, nil
	case len(key) > a.maxLen:
		return nil, nil, "", &rs.tooLong, nil
	}
	if a.format == FormatStandard {
		env, ok := parseKey(key)
		if !ok {
			return nil, nil, "", &rs.malformed, nil
		}
		if len(a.envs) > 0 && !slices.Contains(a.envs, env) {
			return nil, nil, key, &rs.wrongEnv, nil
		}
	} else if !opaqueKey(key) {
		return nil, nil, "", &rs.malformed, nil
	}

	var tenant string
	if a.tenant != nil {
		if tenant = a.tenant(r); tenant == "" {
			return nil, nil, key, &rs.noTenant, nil
		}
	}

	ctx := r.Context()
	var err error
	if a.cached != nil {
		rec, p, err = a.cached.lookupPrincipal(ctx, Hash(key))
	} else {
		rec, err = a.store.Lookup(ctx, Hash(key))
	}
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return nil, nil, key, &rs.unknown, nil
	case err != nil:
		return nil, nil, key, nil, a.unavail.WithCause(fmt.Errorf("%w: lookup: %w", ErrStore, err))
	case rec == nil:
		return nil, nil, key, nil, a.unavail.WithCause(fmt.Errorf("%w: lookup returned no record", ErrStore))
	}
	if rec.Hash != ([32]byte{}) {
		// A store that breaks the "hash never comes out" contract: copy,
		// so that handlers and logs never see it.
		c := *rec
		c.Hash = [32]byte{}
		rec, p = &c, nil
	}

	now := a.now()
	switch {
	case rec.Revoked:
		return rec, nil, key, &rs.revoked, nil
	case !rec.Expires.IsZero() && !now.Before(rec.Expires):
		return rec, nil, key, &rs.expired, nil
	}
	if a.tenant != nil && tenant != rec.Tenant {
		return rec, nil, key, &rs.wrongTenant, nil
	}
	if a.surface != "" && !rec.HasSurface(a.surface) {
		return rec, nil, key, &rs.surface, nil
	}
	// now >= LastUsed+touch, without time.Time.Sub's overflow checks.
	if a.touch > 0 && now.Compare(rec.LastUsed.Add(a.touch)) >= 0 && a.touched.claim(rec.ID, now, a.touch) {
		// Best effort: the request is authenticated whether or not the
		// write lands; a failed write is tried again an interval later.
		_ = a.store.Touch(ctx, rec.ID, now)
	}
	return rec, p, key, nil, nil
}

// opaqueKey reports whether key consists of visible ASCII other than the
// comma (which would make it a header list).
func opaqueKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return false
		}
	}
	return true
}

// emitThrottle sends the audit event of a request the throttle refused
// before its key was looked at: reason "throttled" (429) or "store_error".
func (a *Authenticator) emitThrottle(r *http.Request, e *envelope.Error) {
	if e.Status >= 500 {
		a.emit(r, nil, "", gatehouse.Failed, "store_error", e.Status)
		return
	}
	a.emit(r, nil, "", gatehouse.Denied, "throttled", e.Status)
}

// emit sends one audit event when an Auditor is configured. The credential
// is named by the record's ID when known, else by the key's display prefix
// (empty for anything not in this package's format); never by the key.
func (a *Authenticator) emit(r *http.Request, rec *Record, key string, outcome gatehouse.Outcome, reason string, status int) {
	if a.audit == nil {
		return
	}
	ev := gatehouse.NewEvent(r, "apikey", "authenticate")
	ev.Time = a.now()
	ev.Outcome, ev.Reason, ev.Status = outcome, gatehouse.Reason(reason), status
	if rec != nil {
		ev.CredID, ev.Tenant, ev.Subject = rec.ID, rec.Tenant, rec.Subject
		if ev.Subject == "" {
			ev.Subject = rec.ID
		}
	} else {
		ev.CredID = DisplayPrefix(key)
	}
	gatehouse.Emit(r.Context(), a.audit, ev)
}
