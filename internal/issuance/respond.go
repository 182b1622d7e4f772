package issuer

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// auditSource is the Event.Source of every event the issuer emits.
const auditSource = "issuer"

// The audit reasons the issuer reports.
const (
	reasonBadRequest      = "bad_request"
	reasonThrottled       = "throttled"
	reasonIPDenied        = "ip_denied"
	reasonBadCredentials  = "invalid_credentials"
	reasonBadRefresh      = "refresh_invalid"
	reasonReused          = "refresh_reused"
	reasonRevoked         = "session_revoked"
	reasonSubjectRevoked  = "subject_revoked"
	reasonAccountDisabled = "account_disabled"
	reasonBadToken        = "invalid_token"
	reasonStore           = "store_error"
	reasonSign            = "sign_error"
)

var hdrNoStore = []string{"no-store"}

// fail renders err and emits the matching audit event.
func (i *Issuer) fail(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, reason string, err error) {
	i.failStyle(w, r, i.style, ev, reason, err)
}

// failStyle is fail in the given style. A 401 without a challenge of its
// own — Login's and Refresh's, whose credentials come in the body — gets
// the realm's Bearer challenge without an error code: RFC 9110 §15.5.2
// requires a challenge on every 401; the realm's protected resources take
// the bearer tokens these endpoints issue, and no credentials were sent in
// an Authorization header, so RFC 6750 §3.1's "no error code" applies.
// Basic is not offered: it is not how these endpoints take credentials, and
// browsers answer it with a password dialog.
func (i *Issuer) failStyle(w http.ResponseWriter, r *http.Request, style envelope.Style, ev gatehouse.Event, reason string, err error) {
	e := envelope.As(err)
	if e.Status == http.StatusUnauthorized && e.Challenge == "" {
		e = e.WithChallenge(i.challengeNone)
	}
	ev.Outcome = gatehouse.Denied
	if e.Status >= 500 {
		ev.Outcome = gatehouse.Failed
	}
	ev.Reason, ev.Status = gatehouse.Reason(reason), e.Status
	i.emit(r, ev)
	envelope.WriteStyle(w, r, style, e)
}

// succeed writes data in the success wrapper with Cache-Control: no-store
// (RFC 6749 §5.1: token responses must not be cached) and emits ev.
func (i *Issuer) succeed(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, data any) {
	w.Header()["Cache-Control"] = hdrNoStore
	w.Header()["Pragma"] = []string{"no-cache"}
	if err := envelope.OK(w, data); err != nil {
		// Nothing was written: the data could not be encoded.
		i.fail(w, r, ev, "encode_error", envelope.ErrInternal.WithCause(err))
		return
	}
	ev.Outcome, ev.Status = gatehouse.Allowed, http.StatusOK
	i.emit(r, ev)
}

func (i *Issuer) emit(r *http.Request, ev gatehouse.Event) {
	if i.audit == nil {
		return
	}
	ev.Time = i.now()
	gatehouse.Emit(r.Context(), i.audit, ev)
}

// passThrough keeps a sibling's *envelope.Error (403, 429, 503) as it is
// and turns any other error into a 503 that hides its text.
func passThrough(err error) *envelope.Error {
	if e, ok := err.(*envelope.Error); ok {
		return e
	}
	return unavailable(err)
}
