package otelgatehouse

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse-go/gatehouse"
)

// decisionKey is what the decisions counter is broken down by: the
// low-cardinality fields of an Event.
type decisionKey struct {
	source, action string
	outcome        gatehouse.Outcome
	reason         gatehouse.Reason
	status         int
}

func (k decisionKey) attributes() []attribute.KeyValue {
	kvs := []attribute.KeyValue{
		AttrSource.String(k.source),
		AttrAction.String(k.action),
		AttrOutcome.String(string(k.outcome)),
	}
	if k.reason != "" {
		kvs = append(kvs, AttrReason.String(string(k.reason)))
	}
	if k.status != 0 {
		kvs = append(kvs, semconv.HTTPResponseStatusCode(k.status))
	}
	return kvs
}

// Audit records the decision e: it adds one to the decisions counter
// (gatehouse.decisions) under e's source, action, outcome, reason and
// status, and, when the request's span (trace.SpanFromContext(ctx)) is
// recording, adds a "gatehouse.decision" event to it with those and the
// tenant, credential id and client address (and the subject with
// Config.RecordSubject). It makes *Telemetry
// a gatehouse.Auditor: set it as the Audit of every middleware, beside a
// logging Auditor when both are wanted.
//
// The counter is pre-aggregated: each combination's attribute set is
// built once, its count is one atomic add, and the SDK reads the counts
// when it collects (an asynchronous counter), so a decision costs a map
// lookup and an add, and allocates nothing unless its span records an
// event.
func (t *Telemetry) Audit(ctx context.Context, e gatehouse.Event) {
	o := t.decisionAttrs.get(&e)
	o.n.Add(1)
	if !t.spanEvents {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(EventDecision, trace.WithAttributes(eventAttributes(o.set, e, t.subject)...))
	}
}

// eventAttributes are the attributes of a decision's span event: the
// counter's set plus the high-cardinality identifiers (the subject only
// with subject set), never a credential.
func eventAttributes(set attribute.Set, e gatehouse.Event, subject bool) []attribute.KeyValue {
	kvs := make([]attribute.KeyValue, 0, set.Len()+4)
	for it := set.Iter(); it.Next(); {
		kvs = append(kvs, it.Attribute())
	}
	if subject && e.Subject != "" {
		kvs = append(kvs, semconv.EnduserID(e.Subject))
	}
	if e.Tenant != "" {
		kvs = append(kvs, AttrTenant.String(e.Tenant))
	}
	if e.CredID != "" {
		kvs = append(kvs, AttrCredentialID.String(e.CredID))
	}
	if e.ClientIP.IsValid() {
		kvs = append(kvs, semconv.ClientAddress(e.ClientIP.String()))
	}
	return kvs
}
