package ratelimit

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures a [Limiter]. The zero Config is valid: 60 requests a
// minute per credential (falling back to client address), in memory.
type Config struct {
	// Limit applies to every key that Limits does not override. Default:
	// PerMinute(60).
	Limit Limit

	// Limits returns the limit of an authenticated request's Principal, a
	// key's plan for instance; ok false selects Limit. It is called on every
	// request that carries a Principal and must be fast and safe for
	// concurrent use. A returned Limit that fails Validate refuses the
	// request with 500 (fail closed). Default: nil (Limit for everyone).
	Limits func(p gatehouse.Principal) (limit Limit, ok bool)

	// Key names each request's bucket. With the MemoryStore the default
	// costs no allocation (a KeyFunc returns a new string per request:
	// ByPrincipal's "tok:"+TokenID, for instance; left nil, the key is
	// joined on the stack); [ByIP] is recognised and joined on the stack
	// too. Default: [ByPrincipal].
	Key KeyFunc

	// Store holds the buckets. Share one Store between Limiters only when
	// they should share buckets. Default: a new [MemoryStore] with the
	// default MemoryConfig.
	Store Store

	// Message is the 429 message. Default: "Too many requests".
	Message string

	// Style renders errors. Default: the request's style (envelope.Use),
	// else envelope.Nested.
	Style envelope.Style

	// Audit receives an event (source "ratelimit", action "limit") for
	// each request the Middleware decides, allowed or refused. Optional.
	Audit gatehouse.Auditor

	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// A Limiter charges each request to a token bucket and refuses it with 429
// when the bucket is empty. It is safe for concurrent use.
type Limiter struct {
	limit    Limit
	limits   func(gatehouse.Principal) (Limit, bool)
	key      KeyFunc // nil: ByPrincipal, via principalKey
	byIP     bool    // Config.Key is ByIP: key via keyParts.setAddr instead
	store    Store
	mem      *MemoryStore // store, when it is one: called directly, see check
	now      func() time.Time
	style    envelope.Style
	audit    gatehouse.Auditor
	limited  *envelope.Error
	storeErr *envelope.Error
	badLimit *envelope.Error
}

// New validates cfg and returns a Limiter, or an error wrapping
// [ErrConfig] (and [ErrInvalidLimit] for an invalid Config.Limit).
func New(cfg Config) (*Limiter, error) {
	l := &Limiter{
		limit:  cfg.Limit,
		limits: cfg.Limits,
		key:    cfg.Key,
		store:  cfg.Store,
		now:    cfg.Now,
		style:  cfg.Style,
		audit:  cfg.Audit,
	}
	if limits := l.limits; limits != nil {
		// The Principal may be shared with other requests: the callback
		// gets a copy whose Scopes it may change.
		l.limits = func(p gatehouse.Principal) (Limit, bool) { return limits(p.Clone()) }
	}
	if l.limit == (Limit{}) {
		l.limit = PerMinute(60)
	}
	if err := l.limit.Validate(); err != nil {
		return nil, fmt.Errorf("%w: Limit: %w", ErrConfig, err)
	}
	if l.store == nil {
		l.store = NewMemoryStore(MemoryConfig{})
	}
	l.mem, _ = l.store.(*MemoryStore)
	// Functions are not comparable, but a top-level function has one code
	// pointer: Key: ByIP is recognised so that its key, like the default's,
	// is joined on the stack rather than allocated as a string.
	if l.key != nil && reflect.ValueOf(l.key).Pointer() == reflect.ValueOf(ByIP).Pointer() {
		l.key, l.byIP = nil, true
	}
	if l.now == nil {
		l.now = time.Now
	}
	msg := cfg.Message
	if msg == "" {
		msg = refusals[rLimited].Message
	}
	l.limited = envelope.ErrTooManyRequests.WithMessage(msg).WithCause(refusals[rLimited].Err)
	l.storeErr = envelope.ErrUnavailable.WithMessage(refusals[rStore].Message)
	l.badLimit = envelope.ErrInternal.WithMessage(refusals[rInvalidLimit].Message).WithCause(refusals[rInvalidLimit].Err)
	return l, nil
}

// Check charges r to its bucket. It returns the store's Result and nil when
// r may go on; a Result and a 429 *envelope.Error wrapping [ErrLimited]
// (with RetryAfter set to the time until the next token) when the bucket is
// empty; a zero Result and a 503 wrapping [ErrStore] when the store fails,
// or a 500 wrapping [ErrInvalidLimit] when Config.Limits returned an
// invalid Limit. A request whose key is empty is exempt: zero Result, nil.
// Check charges the bucket, which is the decision itself (a token is taken
// in the same atomic step that finds one), and audits nothing: the
// Middleware does.
func (l *Limiter) Check(r *http.Request) (Result, error) {
	var res Result
	if _, err := l.check(r, &res); err != nil {
		return res, err
	}
	return res, nil
}

// check is Check writing the Result into *res, which must be zero, and
// returning the decision's reason; the Middleware passes its own Result,
// sparing copies of it on the hot path.
func (l *Limiter) check(r *http.Request, res *Result) (reason, *envelope.Error) {
	var key keyParts
	switch {
	case l.byIP:
		key.setAddr(r)
	case l.key == nil:
		key.setPrincipal(r)
	default:
		key.id = l.key(r)
	}
	if key.empty() {
		return rOK, nil
	}
	limit := l.limit
	if l.limits != nil {
		if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
			if pl, ok := l.limits(*p); ok {
				if pl.Validate() != nil {
					return rInvalidLimit, l.badLimit
				}
				limit = pl
			}
		}
	}
	// The MemoryStore is called as such, not through Store: the compiler
	// then sees that key and res stay on the stack, and the key is joined
	// into a stack buffer instead of a new string.
	if l.mem != nil {
		l.mem.takeParts(&key, limit, l.now(), res)
	} else if v, err := l.store.Take(r.Context(), key.String(), limit, l.now()); err == nil {
		*res = v
	} else {
		return rStore, l.storeErr.WithCause(fmt.Errorf("%w: %w", refusals[rStore].Err, err))
	}
	if !res.Allowed {
		return rLimited, l.limited.WithRetryAfter(res.RetryAfter)
	}
	return rOK, nil
}

// Middleware enforces the limit. Every response to a charged request, allowed
// or refused, carries RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (whole seconds until the bucket is full); a refusal is
// rendered in the configured style with Retry-After. Each request is
// audited once (Config.Audit): a refusal after it is rendered, an
// allowed request (an exempt one, with an empty key, included) before next
// runs.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res Result
		rs, err := l.check(r, &res)
		if res.Limit > 0 {
			setHeaders(w.Header(), &res)
		}
		if rs != rOK {
			envelope.WriteStyle(w, r, l.style, err)
			if l.audit != nil {
				l.emit(r, rs)
			}
			return
		}
		if l.audit != nil {
			l.emit(r, rOK)
		}
		next.ServeHTTP(w, r)
	})
}

// SetHeaders sets the RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset headers of res on h (draft-ietf-httpapi-ratelimit-headers).
// Reset is in whole seconds, rounded up.
//
// Values below 1024 are shared, read-only slices (capacity 1, so Header.Add
// copies rather than appending into them): replace them with Header.Set, as
// with any header, and never assign through h[key][0].
func SetHeaders(h http.Header, res Result) { setHeaders(h, &res) }

func setHeaders(h http.Header, res *Result) {
	h["Ratelimit-Limit"] = headerInt(res.Limit)
	h["Ratelimit-Remaining"] = headerInt(res.Remaining)
	h["Ratelimit-Reset"] = headerInt(ceilSeconds(res.ResetAfter))
}

// ceilSeconds returns d in whole seconds, rounded up, and 0 for a negative
// d. It cannot overflow: adding time.Second-1 first would wrap a d near
// the largest Duration (a very slow refill) to a negative header value.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	s := d / time.Second
	if d%time.Second != 0 {
		s++
	}
	return int(s)
}

// smallInts holds the decimal strings of 0…1023, the usual range of all
// three header values, so that the allow path allocates nothing for them.
var smallInts = func() []string {
	v := make([]string, 1024)
	for i := range v {
		v[i] = strconv.Itoa(i)
	}
	return v
}()

func headerInt(n int) []string {
	if n >= 0 && n < len(smallInts) {
		return smallInts[n : n+1 : n+1]
	}
	return []string{strconv.Itoa(n)}
}

// emit reports the decision rs about r.
func (l *Limiter) emit(r *http.Request, rs reason) {
	ev := gatehouse.NewEvent(r, "ratelimit", "limit")
	ev.Time = l.now()
	ev.Conclude(refusals[rs].Status, refusals[rs].Reason)
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
		ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	}
	gatehouse.Emit(r.Context(), l.audit, ev)
}
