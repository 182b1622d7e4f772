package ipallow

import (
	"context"
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
	ref   refusals
}

func newRender(style envelope.Style, audit gatehouse.Auditor, now func() time.Time, message string) render {
	if now == nil {
		now = time.Now
	}
	return render{style: style, audit: audit, now: now, ref: newRefusals(message)}
}

// refuse audits the refusal err of r, decided by action about addr (and p
// when known) under rule, then renders it. rule names the list that refused
// ("allowlist", "denylist", "account_allowlist"); "" derives the audit
// reason from err.
func (rd *render) refuse(w http.ResponseWriter, r *http.Request, action, rule string, addr netip.Addr, p *gatehouse.Principal, err error) {
	if rd.audit != nil {
		ev := gatehouse.NewEvent(r, "ipallow", action)
		rd.fill(&ev, rule, addr, p, err)
		rd.audit.Audit(r.Context(), ev)
	}
	envelope.WriteStyle(w, r, rd.style, err)
}

// emit audits a refusal decided without a request (CheckAccount).
func (rd *render) emit(ctx context.Context, action, rule string, addr netip.Addr, p *gatehouse.Principal, err error) {
	if rd.audit != nil {
		ev := gatehouse.Event{Source: "ipallow", Action: action}
		rd.fill(&ev, rule, addr, p, err)
		rd.audit.Audit(ctx, ev)
	}
}

func (rd *render) fill(ev *gatehouse.Event, rule string, addr netip.Addr, p *gatehouse.Principal, err error) {
	ev.Time = rd.now()
	ev.Outcome = gatehouse.Denied
	ev.Status = envelope.As(err).Status
	if ev.Status >= 500 {
		ev.Outcome = gatehouse.Failed
	}
	ev.Reason = gatehouse.Reason(rule)
	if rule == "" {
		ev.Reason = gatehouse.Reason(reason(err))
	}
	if addr.IsValid() {
		ev.ClientIP = addr
	}
	if p != nil {
		ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	}
}
