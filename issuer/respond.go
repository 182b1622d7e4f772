package issuer

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse"
)

// auditSource is the Event.Source of every event the issuer emits.
const auditSource = "issuer"

// fail renders err in the configured style and emits the matching audit
// event.
func (i *Issuer) fail(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, reason gatehouse.Reason, err error) {
	i.resp.Fail(w, r, ev, reason, err)
}

// succeed writes data in the success wrapper with Cache-Control: no-store
// (RFC 6749 §5.1: token responses must not be cached) and emits ev.
func (i *Issuer) succeed(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, data any) {
	i.resp.Succeed(w, r, ev, data)
}
