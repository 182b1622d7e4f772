package issuance

import (
	"net/http"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// HdrNoStore is the Cache-Control value of every token response (RFC 6749
// §5.1: token responses must not be cached).
var HdrNoStore = []string{"no-store"}

// A Responder renders the answers of the issuer's handlers and the token
// endpoint and emits their audit events, one per request.
type Responder struct {
	// Style renders errors; nil means the request's style (envelope.Use).
	Style envelope.Style
	// ChallengeNone is the Bearer challenge, without an error code, that
	// Fail adds to a 401 that has none.
	ChallengeNone string
	// Audit receives the events; nil means none.
	Audit gatehouse.Auditor
	// Now stamps the events.
	Now func() time.Time
}

// Fail renders err in the Responder's style and emits the matching audit
// event.
func (p *Responder) Fail(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, reason gatehouse.Reason, err error) {
	p.FailStyle(w, r, p.Style, ev, reason, err)
}

// FailStyle is Fail in the given style. A 401 without a challenge of its
// own — login's and refresh's, whose credentials come in the body — gets
// ChallengeNone: RFC 9110 §15.5.2 requires a challenge on every 401; the
// realm's protected resources take the bearer tokens these endpoints
// issue, and no credentials were sent in an Authorization header, so RFC
// 6750 §3.1's "no error code" applies. Basic is not offered: it is not how
// these endpoints take credentials, and browsers answer it with a password
// dialog.
func (p *Responder) FailStyle(w http.ResponseWriter, r *http.Request, style envelope.Style, ev gatehouse.Event, reason gatehouse.Reason, err error) {
	e := envelope.As(err)
	if e.Status == http.StatusUnauthorized && e.Challenge == "" {
		e = e.WithChallenge(p.ChallengeNone)
	}
	ev.Conclude(e.Status, reason)
	p.Emit(r, ev)
	envelope.WriteStyle(w, r, style, e)
}

// Succeed writes data in the success wrapper with Cache-Control: no-store
// and emits ev as allowed.
func (p *Responder) Succeed(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, data any) {
	w.Header()["Cache-Control"] = HdrNoStore
	w.Header()["Pragma"] = []string{"no-cache"}
	if err := envelope.OK(w, data); err != nil {
		// Nothing was written: the data could not be encoded.
		p.Fail(w, r, ev, gatehouse.ReasonInternal, envelope.ErrInternal.WithCause(err))
		return
	}
	p.Allowed(r, ev)
}

// Allowed emits ev as an allowed decision, for a handler that wrote its
// own success answer.
func (p *Responder) Allowed(r *http.Request, ev gatehouse.Event) {
	ev.Conclude(0, "")
	ev.Status = http.StatusOK
	p.Emit(r, ev)
}

// Emit stamps ev with the time and sends it to the Auditor, if any.
func (p *Responder) Emit(r *http.Request, ev gatehouse.Event) {
	if p.Audit == nil {
		return
	}
	ev.Time = p.Now()
	gatehouse.Emit(r.Context(), p.Audit, ev)
}

// PassThrough keeps a sibling's *envelope.Error (403, 429, 503) as it is
// and turns any other error into a 503 that hides its text.
func PassThrough(err error) *envelope.Error {
	if e, ok := err.(*envelope.Error); ok {
		return e
	}
	return Unavailable(err)
}

// Unavailable wraps a store failure as a 503 that never shows its text.
func Unavailable(err error) *envelope.Error {
	return envelope.ErrUnavailable.WithCause(err)
}
