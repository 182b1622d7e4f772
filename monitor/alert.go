package monitor

import (
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// A Kind is what an [Alert] counts.
type Kind uint8

// The kinds of refusal the monitor counts.
const (
	// Unauthorized counts 401 answers: failed authentications (a wrong
	// password, a missing, expired or forged token, an unknown key).
	Unauthorized Kind = iota + 1
	// Forbidden counts 403 answers: authenticated or not, the request was
	// refused access (an address outside an allowlist, a missing scope).
	Forbidden
)

// String returns "unauthorized" or "forbidden".
func (k Kind) String() string {
	switch k {
	case Unauthorized:
		return "unauthorized"
	case Forbidden:
		return "forbidden"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Status returns the HTTP status the kind counts: 401 or 403.
func (k Kind) Status() int {
	switch k {
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	}
	return 0
}

// A ReasonCount is one reason of the events an [Alert] describes, with the
// number of them that gave it.
type ReasonCount struct {
	Reason gatehouse.Reason
	Count  int
}

// An Alert reports that a scope got more refusals of one Kind within the
// window than the threshold allows. It names no credential: audit events
// carry none.
type Alert struct {
	Kind Kind
	// Client is the client the alert is about: an IPv4 address as its /32
	// prefix, an IPv6 client as its /64 (one client typically holds a
	// whole /64); the zero Prefix when the alert is about all clients
	// together (see [Alert.Overall]).
	Client netip.Prefix
	// Count is the number of events the alert describes, all within
	// Window: Threshold+1, the fewest that exceed it, the latest ones.
	// The monitor keeps no more per scope, which is all the decision
	// needs and bounds its memory; Suppressed tells how many more arrived
	// during the previous alert's quiet period.
	Count     int
	Threshold int
	Window    time.Duration
	// First and Last are the times of the first and the last of the
	// events counted (Last is the event that raised the alert), on the
	// monitor's clock.
	First, Last time.Time
	// Reasons are the reasons of the events counted, most frequent first
	// (ties in name order), at most three.
	Reasons []ReasonCount
	// Previous is the time of the previous alert of this kind and scope,
	// the zero Time for the first the monitor knows of (a client it has
	// forgotten starts again).
	Previous time.Time
	// Suppressed is the number of events of this kind and scope that
	// arrived within Window after the previous alert and raised none of
	// their own.
	Suppressed int
	// SuppressedClients, on an overall alert, is the number of alerts
	// about single clients held back since the last overall alert because
	// Config.MaxClientAlerts were already delivered within their window.
	SuppressedClients int
}

// Overall reports whether the alert is about all clients together rather
// than one.
func (a Alert) Overall() bool { return !a.Client.IsValid() }

// Scope returns the scope the alert is about: "overall", an IPv4 address
// ("192.0.2.7") or an IPv6 /64 ("2001:db8:1:2::/64").
func (a Alert) Scope() string {
	switch {
	case a.Overall():
		return "overall"
	case a.Client.Addr().Is4():
		return a.Client.Addr().String()
	}
	return a.Client.String()
}

// String returns a one-line summary of the alert, such as "more than 10
// unauthorized answers within 15m0s from 192.0.2.7".
func (a Alert) String() string {
	from := "from " + a.Scope()
	if a.Overall() {
		from = "from all clients"
	}
	return "more than " + strconv.Itoa(a.Threshold) + " " + a.Kind.String() + " answers within " + a.Window.String() + " " + from
}

// LogAttrs returns the attributes of the alert's log record: kind, scope,
// count, threshold, window, first, last, reasons
// ("token_expired:7,token_invalid:4"), suppressed, and previous when there
// was one, and suppressed_clients when some were held back.
func (a Alert) LogAttrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("kind", a.Kind.String()),
		slog.String("scope", a.Scope()),
		slog.Int("count", a.Count),
		slog.Int("threshold", a.Threshold),
		slog.Duration("window", a.Window),
		slog.Time("first", a.First),
		slog.Time("last", a.Last),
		slog.String("reasons", reasonsText(a.Reasons)),
		slog.Int("suppressed", a.Suppressed),
	}
	if !a.Previous.IsZero() {
		attrs = append(attrs, slog.Time("previous", a.Previous))
	}
	if a.SuppressedClients > 0 {
		attrs = append(attrs, slog.Int("suppressed_clients", a.SuppressedClients))
	}
	return attrs
}

func reasonsText(rs []ReasonCount) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		name := string(r.Reason)
		if name == "" {
			name = "none"
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(r.Count))
	}
	return b.String()
}
