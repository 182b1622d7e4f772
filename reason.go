package gatehouse

import "net/http"

// A Reason is the machine-readable cause of an access decision, as an
// [Event] reports it: "token_expired", "ip_denied", "store_unavailable".
// Every package exports its reasons as typed constants next to the errors
// they explain, and one name means one thing across the library: the
// reasons shared by several packages are declared here.
type Reason string

// The reasons several packages report, each with the same meaning
// wherever it appears. An allowed request has no reason ("").
const (
	// ReasonBadRequest: the request was malformed (400, 413 or 415) before
	// any credential was judged.
	ReasonBadRequest Reason = "bad_request"
	// ReasonStoreUnavailable: a store, key set or other dependency failed,
	// so nothing could be decided (503).
	ReasonStoreUnavailable Reason = "store_unavailable"
	// ReasonThrottled: too many requests or failed attempts from this
	// client or for this key (429).
	ReasonThrottled Reason = "throttled"
	// ReasonIPDenied: the client address is not on the applicable
	// allowlist, or is on a denylist (403).
	ReasonIPDenied Reason = "ip_denied"
	// ReasonNoPrincipal: the request reached a check that needs an
	// authenticated principal without one (401; 500 where only a
	// misordered chain can get there, as at a per-account allowlist).
	ReasonNoPrincipal Reason = "no_principal"
	// ReasonInternal: the server could not complete a decision it had
	// made, such as signing a token or encoding an answer, which only a
	// broken configuration causes (500).
	ReasonInternal Reason = "internal_error"
	// ReasonNoClientAddress: the client address could not be determined,
	// so no address rule could be applied (403).
	ReasonNoClientAddress Reason = "no_client_address"
)

// A Refusal is one row of a package's refusal table: the sentinel error a
// decision wraps (match it with errors.Is), the HTTP status and envelope
// message the client gets by default, and the [Reason] the audit event
// reports. Each package lists its rows with a Refusals function.
type Refusal struct {
	Err     error
	Status  int
	Message string
	Reason  Reason
}

// Conclude records the decision on e: its Status and Reason, and the
// Outcome that follows from the status — [Allowed] for 0 (the request went
// on), [Failed] for a 5xx status, [Denied] for any other.
func (e *Event) Conclude(status int, reason Reason) {
	e.Status, e.Reason = status, reason
	switch {
	case status == 0:
		e.Outcome = Allowed
	case status >= http.StatusInternalServerError:
		e.Outcome = Failed
	default:
		e.Outcome = Denied
	}
}
