package gatehouse

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// Outcome is the result of one access decision.
type Outcome string

// The outcomes an [Event] reports.
const (
	Allowed Outcome = "allow" // the request may go on
	Denied  Outcome = "deny"  // the request was refused (4xx)
	Failed  Outcome = "error" // a dependency failed and the request was refused (5xx)
)

// An Event describes one access decision for audit logs and monitoring
// (alerting on a burst of 401s and 403s, for instance). It never carries
// secret material: no token, key, password or signature, only identifiers
// of them.
type Event struct {
	Time      time.Time
	Source    string     // the deciding package: "bearer", "apikey", "ipallow", …
	Action    string     // what was decided: "authenticate", "login", "refresh", …
	Outcome   Outcome    // allow, deny or error
	Reason    Reason     // the cause, "" when allowed: "token_expired", "ip_denied", …
	Status    int        // the HTTP status answered, 0 when the request went on
	Subject   string     // the principal's subject, when known
	Tenant    string     // the principal's tenant, when known
	CredID    string     // a token id (jti), key id or key display prefix
	ClientIP  netip.Addr // the resolved client address
	RequestID string     // the request's X-Request-Id header, when sent
	Method    string     // the HTTP method
	Path      string     // the URL path (never the query, which may hold secrets)
}

// NewEvent returns an Event pre-filled from r: client address, request id,
// method and path. The caller sets the time from its own clock.
func NewEvent(r *http.Request, source, action string) Event {
	return Event{
		Source:    source,
		Action:    action,
		ClientIP:  ClientAddr(r),
		RequestID: r.Header.Get("X-Request-Id"),
		Method:    r.Method,
		Path:      r.URL.Path,
	}
}

// An Auditor receives every access decision. Implementations must be safe
// for concurrent use and should return quickly: they run on the request path.
type Auditor interface {
	Audit(ctx context.Context, e Event)
}

// AuditFunc adapts a function to the [Auditor] interface.
type AuditFunc func(ctx context.Context, e Event)

// Audit calls f(ctx, e).
func (f AuditFunc) Audit(ctx context.Context, e Event) { f(ctx, e) }

// SlogAuditor returns an Auditor that logs each Event to l: denials at Warn,
// failures at Error and allowed decisions at Debug.
func SlogAuditor(l *slog.Logger) Auditor {
	return AuditFunc(func(ctx context.Context, e Event) {
		level := slog.LevelDebug
		switch e.Outcome {
		case Denied:
			level = slog.LevelWarn
		case Failed:
			level = slog.LevelError
		}
		if !l.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("source", e.Source),
			slog.String("action", e.Action),
			slog.String("outcome", string(e.Outcome)),
		}
		add := func(k, v string) {
			if v != "" {
				attrs = append(attrs, slog.String(k, v))
			}
		}
		add("reason", string(e.Reason))
		if e.Status != 0 {
			attrs = append(attrs, slog.Int("status", e.Status))
		}
		add("subject", e.Subject)
		add("tenant", e.Tenant)
		add("credential_id", e.CredID)
		if e.ClientIP.IsValid() {
			add("client_ip", e.ClientIP.String())
		}
		add("request_id", e.RequestID)
		add("method", e.Method)
		add("path", e.Path)
		l.LogAttrs(ctx, level, "gatehouse "+e.Source+" "+e.Action, attrs...)
	})
}

// Emit sends e to a, doing nothing when a is nil. Middleware calls it so
// that an unset Auditor costs nothing.
func Emit(ctx context.Context, a Auditor, e Event) {
	if a != nil {
		a.Audit(ctx, e)
	}
}
