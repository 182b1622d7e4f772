package ipallow

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// render is what every middleware of the package shares: how it renders a
// refusal and whom it tells.
type render struct {
	style envelope.Style
	audit gatehouse.Auditor
	now   func() time.Time
	errs  [numReasons]*envelope.Error
	// prepared holds errs prepared for writing in style.
	prepared [numReasons]*envelope.Prepared
}

func newRender(style envelope.Style, audit gatehouse.Auditor, now func() time.Time, message string) render {
	if now == nil {
		now = time.Now
	}
	rd := render{style: style, audit: audit, now: now, errs: newErrors(message)}
	for rs := rDenied; rs < numReasons; rs++ {
		rd.prepared[rs] = envelope.Prepare(style, rd.errs[rs])
	}
	return rd
}

// refuse renders the refusal err of r, decided by action about addr (and p
// when known), then audits it with the reason of the sentinel err wraps.
func (rd *render) refuse(w http.ResponseWriter, r *http.Request, action string, addr netip.Addr, p *gatehouse.Principal, err error) {
	rd.write(w, r, err)
	if rd.audit != nil {
		rd.emit(r, action, addr, p, envelope.As(err).Status, refusals[reasonOf(err)].Reason)
	}
}

// write renders err: with its prepared body when it is one of rd's
// errors, else as envelope.WriteStyle does. The store's 503, which gets
// its cause per failure, is still sent with its prepared body.
func (rd *render) write(w http.ResponseWriter, r *http.Request, err error) {
	for rs := rDenied; rs < numReasons; rs++ {
		if err == error(rd.errs[rs]) {
			rd.prepared[rs].Write(w, r)
			return
		}
	}
	rd.prepared[rStore].WriteError(w, r, err)
}

// allow audits the admission of r, decided by action about addr (and p
// when known).
func (rd *render) allow(r *http.Request, action string, addr netip.Addr, p *gatehouse.Principal) {
	if rd.audit != nil {
		rd.emit(r, action, addr, p, 0, "")
	}
}

func (rd *render) emit(r *http.Request, action string, addr netip.Addr, p *gatehouse.Principal, status int, rs gatehouse.Reason) {
	ev := gatehouse.NewEvent(r, "ipallow", action)
	ev.Time = rd.now()
	ev.Conclude(status, rs)
	if addr.IsValid() {
		ev.ClientIP = addr
	}
	if p != nil {
		ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	}
	rd.audit.Audit(r.Context(), ev)
}
