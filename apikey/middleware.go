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
	store   Store
	cached  principalStore // store, when it keeps Principals; else nil
	header  string         // canonical form
	format  Format
	envs    []string
	maxLen  int
	tenant  func(*http.Request) string
	surface string
	touch   time.Duration
	touched touchSlots
	style   envelope.Style
	audit   gatehouse.Auditor
	now     func() time.Time
	errs    [numReasons]*envelope.Error // the client error of each refusal; nil for rThrottled
	// prepared holds errs prepared for writing in style; nil for rThrottled.
	prepared [numReasons]*envelope.Prepared

	throttle    Throttle
	throttleKey func(*http.Request) string
}

// New returns an Authenticator for cfg, or an error wrapping [ErrConfig]
// that describes every invalid field.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cached, _ := cfg.Store.(principalStore)
	a := &Authenticator{
		store:   cfg.Store,
		cached:  cached,
		header:  cfg.Header,
		format:  cfg.Format,
		envs:    slices.Clone(cfg.Environments),
		maxLen:  cfg.MaxLength,
		tenant:  cfg.Tenant,
		surface: cfg.Surface,
		touch:   cfg.TouchInterval,
		style:   cfg.Style,
		audit:   cfg.Audit,
		now:     cfg.Now,
		errs:    newErrors(&cfg),

		throttle:    cfg.Throttle,
		throttleKey: cfg.ThrottleKey,
	}
	for r, err := range a.errs {
		if err != nil {
			a.prepared[r] = envelope.Prepare(a.style, err)
		}
	}
	return a, nil
}

// newErrors precomputes the client error of every refusal of the table
// from a validated cfg, so that refusing allocates nothing.
func newErrors(cfg *Config) [numReasons]*envelope.Error {
	// A key refused on this surface is access_denied in the OAuth style
	// (unless Forbidden names its own code): no scope would admit it.
	forbidden := cfg.Forbidden
	if forbidden.OAuthCode == "" {
		forbidden = forbidden.WithOAuthCode("access_denied")
	}
	var errs [numReasons]*envelope.Error
	for r := rMissing; r < numReasons; r++ {
		row := refusals[r]
		switch row.Status {
		case http.StatusUnauthorized:
			errs[r] = cfg.Unauthorized.WithMessage(row.Message).WithCause(row.Err).WithChallenge(cfg.Challenge)
		case http.StatusForbidden:
			errs[r] = forbidden.WithMessage(row.Message).WithCause(row.Err)
		case http.StatusServiceUnavailable:
			errs[r] = cfg.Unavailable.WithMessage(row.Message) // its cause is added per failure
		}
	}
	return errs
}

// Middleware authenticates each request with [Authenticator.Check]. On
// success it calls next with the Principal in the request context
// (gatehouse.PrincipalFrom); on failure it renders the refusal with
// envelope.WriteStyle and does not call next.
//
// Around the decision it applies Config.Throttle (a request that carries
// the key header is counted before its key is checked, and a throttle key
// at its limit is refused with the Throttle's 429) and records the key's
// last use (Config.TouchInterval). Each request is audited once
// (Config.Audit): a refusal after it is rendered, an allowed request
// before next runs.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return a.handler(next, false)
}

// Optional is [Authenticator.Middleware] for routes that also serve
// anonymous callers, or accept another credential instead: a request
// without the key header goes to next without a Principal, while one that
// sends the header, even empty, gets the same decision (and throttle
// count) as from Middleware, so a bad key is refused, never served as
// anonymous. The anonymous request is audited as allowed, without a key.
func (a *Authenticator) Optional(next http.Handler) http.Handler {
	return a.handler(next, true)
}

// Present reports whether r sends the key header (even empty, or
// several times). It decides nothing: a present key may still be refused.
// It is what [Authenticator.Optional] and credential selectors (package
// oneof) use to tell an anonymous request from one to judge.
func (a *Authenticator) Present(r *http.Request) bool {
	return len(r.Header[a.header]) > 0
}

// handler is Middleware, or Optional when optional is set.
func (a *Authenticator) handler(next http.Handler, optional bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if optional && !a.Present(r) {
			if a.audit != nil {
				a.emit(r, nil, "", rOK, 0)
			}
			next.ServeHTTP(w, r)
			return
		}
		attempt, terr := a.beginAttempt(r)
		if terr != nil {
			a.refuse(w, r, nil, "", a.throttleReason(terr), terr)
			return
		}
		now := a.now()
		rec, p, key, rs, err := a.decide(r, now)
		if rs == rOK || rs == rSurface || rs == rStore {
			// A good key, or one never judged: the attempt is taken back.
			// Every other refusal leaves it counted: the failure.
			if terr := a.endAttempt(r.Context(), attempt); terr != nil {
				rs, err = a.throttleReason(terr), terr
			}
		}
		if rs != rOK {
			a.refuse(w, r, rec, key, rs, err)
			return
		}
		a.touchKey(r, rec, now)
		if a.audit != nil {
			a.emit(r, rec, key, rOK, 0)
		}
		if p == nil {
			built := newPrincipal(rec)
			p = &built
		}
		next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p)))
	})
}

// refuse renders the refusal err, of reason rs, then audits it. The body
// prepared for rs is sent unless err renders otherwise (a Throttle's
// answer, say): a cause added per failure changes nothing sent.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, rec *Record, key string, rs reason, err *envelope.Error) {
	if p := a.prepared[rs]; p != nil {
		p.WriteError(w, r, err)
	} else {
		envelope.WriteStyle(w, r, a.style, err)
	}
	if a.audit != nil {
		a.emit(r, rec, key, rs, err.Status)
	}
}

// Check decides whether r carries an acceptable key, in this order, each
// step cheaper than the next:
//
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
// own copy: changing its Scopes changes no other request's. A refusal is
// an *envelope.Error wrapping one of the package's Err… causes (see
// [Refusals]); a missing key is ErrMissingKey. It is the decision alone: it writes nothing (no throttle
// count, no last-use record) and audits nothing; the Middleware does.
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
	rec, p, _, rs, err := a.decide(r, a.now())
	if rs != rOK {
		return nil, err
	}
	if p == nil {
		built := newPrincipal(rec)
		p = &built
	}
	return p, nil
}

// decide returns the record and rOK on success, or the refusal's reason
// and client error, at time now. On success p is the store's cached
// Principal for the record, or nil when the store keeps none. The key is
// returned only so that audit events can show its display prefix; it never
// leaves this file otherwise. decide writes nothing.
func (a *Authenticator) decide(r *http.Request, now time.Time) (rec *Record, p *gatehouse.Principal, key string, rs reason, err *envelope.Error) {
	refuse := func(rs reason) (*Record, *gatehouse.Principal, string, reason, *envelope.Error) {
		return rec, nil, key, rs, a.errs[rs]
	}
	vals := r.Header[a.header]
	switch {
	case len(vals) == 0:
		return refuse(rMissing)
	case len(vals) > 1:
		return refuse(rDuplicate)
	}
	switch v := vals[0]; {
	case v == "":
		return refuse(rEmpty)
	case len(v) > a.maxLen:
		return refuse(rTooLong)
	}
	if a.format == FormatStandard {
		env, ok := parseKey(vals[0])
		if !ok {
			return refuse(rMalformed)
		}
		key = vals[0]
		if len(a.envs) > 0 && !slices.Contains(a.envs, env) {
			return refuse(rWrongEnv)
		}
	} else {
		if !opaqueKey(vals[0]) {
			return refuse(rMalformed)
		}
		key = vals[0]
	}

	var tenant string
	if a.tenant != nil {
		if tenant = a.tenant(r); tenant == "" {
			return refuse(rNoTenant)
		}
	}

	ctx := r.Context()
	var lerr error
	if a.cached != nil {
		rec, p, lerr = a.cached.lookupPrincipal(ctx, Hash(key))
	} else {
		rec, lerr = a.store.Lookup(ctx, Hash(key))
	}
	switch {
	case errors.Is(lerr, ErrKeyNotFound):
		rec = nil
		return refuse(rUnknown)
	case lerr != nil:
		return nil, nil, key, rStore, a.errs[rStore].WithCause(fmt.Errorf("%w: lookup: %w", ErrStore, lerr))
	case rec == nil:
		return nil, nil, key, rStore, a.errs[rStore].WithCause(fmt.Errorf("%w: lookup returned no record", ErrStore))
	}
	if rec.Hash != ([32]byte{}) {
		// A store that breaks the "hash never comes out" contract: copy,
		// so that handlers and logs never see it.
		c := *rec
		c.Hash = [32]byte{}
		rec, p = &c, nil
	}

	switch {
	case rec.Revoked:
		return refuse(rRevoked)
	case !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt):
		return refuse(rExpired)
	}
	if a.tenant != nil && tenant != rec.Tenant {
		return refuse(rWrongTenant)
	}
	if a.surface != "" && !rec.HasSurface(a.surface) {
		return refuse(rSurface)
	}
	return rec, p, key, rOK, nil
}

// touchKey records the use of the key of rec, admitted at time now, at
// most once per key per Config.TouchInterval.
func (a *Authenticator) touchKey(r *http.Request, rec *Record, now time.Time) {
	if a.touch <= 0 {
		return
	}
	// now >= LastUsed+touch, without time.Time.Sub's overflow checks.
	if now.Compare(rec.LastUsed.Add(a.touch)) >= 0 && a.touched.claim(rec.ID, now, a.touch) {
		// Best effort: the request is authenticated whether or not the
		// write lands; a failed write is tried again an interval later.
		_ = a.store.Touch(r.Context(), rec.ID, now)
	}
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

// emit sends one audit event. The credential is named by the record's ID
// when known, else by the key's display prefix (empty for anything not in
// this package's format); never by the key.
func (a *Authenticator) emit(r *http.Request, rec *Record, key string, rs reason, status int) {
	ev := gatehouse.NewEvent(r, "apikey", "authenticate")
	ev.Time = a.now()
	ev.Conclude(status, refusals[rs].Reason)
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
