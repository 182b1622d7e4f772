package envelope

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

type styleKey struct{}

// Use returns middleware that makes style the error style for every
// gatehouse middleware and [Write] call inside it that has no style of its
// own, and for the 500 of a [Recover] around it. Put it outermost, inside
// Recover only.
func Use(style Style) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			noteStyle(w, style)
			next.ServeHTTP(w, r.WithContext(WithStyle(r.Context(), style)))
		})
	}
}

// WithStyle returns a copy of ctx that selects style for [Write].
func WithStyle(ctx context.Context, style Style) context.Context {
	return context.WithValue(ctx, styleKey{}, style)
}

// StyleFrom returns the style selected in ctx by [Use] or [WithStyle], and
// whether there was one.
func StyleFrom(ctx context.Context) (Style, bool) {
	s, ok := ctx.Value(styleKey{}).(Style)
	return s, ok && s != nil
}

// Resolve returns the style to render with: s when it is not nil, else the
// style selected in the request's context, else [Nested].
func Resolve(r *http.Request, s Style) Style {
	if s != nil {
		return s
	}
	if r != nil {
		if cs, ok := StyleFrom(r.Context()); ok {
			return cs
		}
	}
	return Nested
}

// Write renders err in the request's style (see [Resolve]); it is
// WriteStyle(w, r, nil, err).
func Write(w http.ResponseWriter, r *http.Request, err error) {
	WriteStyle(w, r, nil, err)
}

// DefaultChallenge is the WWW-Authenticate value [WriteStyle] sends with a
// 401 whose Error has no Challenge: the Bearer scheme without parameters
// (RFC 6750 §3). Every gatehouse middleware sets a challenge of its own on
// its 401s (realm included); give an application's own 401 one with
// [Error.WithChallenge] when its credential is not a bearer token.
const DefaultChallenge = "Bearer"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Pre-built header values; net/http never mutates them.
var (
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
	hdrJSON    = []string{contentJSON}
	hdrProblem = []string{contentProblem}
	hdrDefChal = []string{DefaultChallenge}
)

// WriteStyle renders err with style (or, when style is nil, the request's
// style). err is converted with [As]: anything that is not an *Error is sent
// as a generic 500 whose body never contains err's text. The response has
// the Error's status (500 when it is not a 4xx or 5xx), Content-Type,
// "Cache-Control: no-store", "X-Content-Type-Options: nosniff", and
// WWW-Authenticate and Retry-After when the Error carries them. A 401
// without a Challenge of its own is sent with WWW-Authenticate:
// [DefaultChallenge], since every 401 must carry one (RFC 9110 §15.5.2).
// Headers already set on w (rate-limit headers, for instance) are kept. A
// nil err writes nothing.
func WriteStyle(w http.ResponseWriter, r *http.Request, style Style, err error) {
	render(w, r, style, As(err), nil)
}

// render is WriteStyle for e, the result of [As]; retry is the Retry-After
// value to send when e has one, or nil to format it here.
func render(w http.ResponseWriter, r *http.Request, style Style, e *Error, retry []string) {
	if e == nil {
		return
	}
	e = writable(e)
	bp := bufPool.Get().(*[]byte)
	body, ct := Resolve(r, style).AppendBody((*bp)[:0], r, e)
	respond(w, e, body, contentTypeHeader(ct), retry)
	if cap(body) <= 64<<10 {
		*bp = body
		bufPool.Put(bp)
	}
}

// writable returns e, or a copy of it with status 500 when its status is
// not a 4xx or 5xx. An error is never sent as an informational, success or
// redirect status (net/http would follow a 1xx with an implicit 200 that
// carries the error body): it is a 500, in the body too.
func writable(e *Error) *Error {
	if e.Status < 400 || e.Status > 599 {
		c := *e
		c.Status = http.StatusInternalServerError
		return &c
	}
	return e
}

// contentTypeHeader returns the Content-Type header value for ct, shared
// for the built-in styles' types.
func contentTypeHeader(ct string) []string {
	switch ct {
	case contentJSON:
		return hdrJSON
	case contentProblem:
		return hdrProblem
	}
	return []string{ct}
}

// respond writes the response of the writable e with its rendered body and
// Content-Type value ct: the headers WriteStyle documents, the status and
// the body. retry is the Retry-After value when e has one, or nil to format
// it here. Every slice set in the header map has a length equal to its
// capacity, so that a caller appending to a header value copies it instead
// of writing into a slice another response shares.
func respond(w http.ResponseWriter, e *Error, body []byte, ct []string, retry []string) {
	h := w.Header()
	h["Content-Type"] = ct
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNosniff
	switch {
	case e.Challenge != "":
		if len(e.challengeHdr) == 1 && e.challengeHdr[0] == e.Challenge {
			h["Www-Authenticate"] = e.challengeHdr // precomputed: no allocation
		} else {
			h["Www-Authenticate"] = []string{e.Challenge}
		}
	case e.Status == http.StatusUnauthorized:
		h["Www-Authenticate"] = hdrDefChal
	}
	if e.RetryAfter > 0 {
		if retry == nil {
			retry = []string{strconv.FormatInt(RetryAfterSeconds(e.RetryAfter), 10)}
		}
		h["Retry-After"] = retry
	}
	// Content-Length is left to net/http, which sets it for a body written
	// in one call before the handler returns; saving two allocations.
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// RetryAfterSeconds returns d in whole seconds rounded up, at least 1, as
// the Retry-After header wants it.
func RetryAfterSeconds(d time.Duration) int64 {
	s := int64(d / time.Second) // no d+time.Second-1: it overflows near the maximum
	if d%time.Second > 0 {
		s++
	}
	return max(s, 1)
}
