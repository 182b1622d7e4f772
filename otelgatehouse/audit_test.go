package otelgatehouse_test

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

// TestAuditCountsDecisions: the real bearer middleware with the Telemetry
// as its Auditor; each decision is counted once, under exactly its
// source, action, outcome, reason and status.
func TestAuditCountsDecisions(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	p := gatehousetest.NewProvider(t, gatehousetest.WithAlgorithm("HS256"))
	auth := p.Authenticator(t, bearer.Config{Audit: h.tel})
	api := auth.Middleware(ok200)

	good := p.Token(t, gatehousetest.Claims{Subject: "alice"})
	for range 3 {
		assert.Equal(t, 200, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(good))).Code)
	}
	expired := p.Token(t, gatehousetest.Claims{}, gatehousetest.Expired())
	assert.Equal(t, 401, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(expired))).Code)
	assert.Equal(t, 401, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(expired))).Code)
	assert.Equal(t, 401, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/orders")).Code)

	got := counts(t, h.collect(t), otelgatehouse.MetricDecisions)
	base := []attribute.KeyValue{otelgatehouse.AttrSource.String("bearer"), otelgatehouse.AttrAction.String("authenticate")}
	with := func(kvs ...attribute.KeyValue) string { return attrs(append(kvs, base...)...) }
	assert.Equal(t, map[string]int64{
		with(otelgatehouse.AttrOutcome.String("allow")): 3,
		with(otelgatehouse.AttrOutcome.String("deny"), otelgatehouse.AttrReason.String("token_expired"), semconv.HTTPResponseStatusCode(401)):  2,
		with(otelgatehouse.AttrOutcome.String("deny"), otelgatehouse.AttrReason.String("no_credentials"), semconv.HTTPResponseStatusCode(401)): 1,
	}, got)
}

// TestAuditSpanEvent: on a recording span, each decision adds one
// "gatehouse.decision" event with the counter's attributes and the
// principal's identifiers; the metric points never carry those.
func TestAuditSpanEvent(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{RecordSubject: true})
	ctx, span := h.tp.Tracer("test").Start(context.Background(), "request")
	h.tel.Audit(ctx, gatehouse.Event{
		Source: "apikey", Action: "authenticate", Outcome: gatehouse.Allowed,
		Subject: "svc-7", Tenant: "acme", CredID: "key_123", ClientIP: netip.MustParseAddr("192.0.2.9"),
		Method: "GET", Path: "/users/alice/orders", RequestID: "req-1",
	})
	h.tel.Audit(ctx, gatehouse.Event{Source: "ipallow", Action: "authorize", Outcome: gatehouse.Denied, Reason: "ip_denied", Status: 403})
	span.End()

	ended := h.spans.Ended()
	require.Len(t, ended, 1)
	events := ended[0].Events()
	require.Len(t, events, 2)
	assert.Equal(t, otelgatehouse.EventDecision, events[0].Name)
	assert.Equal(t, attrs(
		otelgatehouse.AttrSource.String("apikey"), otelgatehouse.AttrAction.String("authenticate"), otelgatehouse.AttrOutcome.String("allow"),
		semconv.EnduserID("svc-7"), otelgatehouse.AttrTenant.String("acme"), otelgatehouse.AttrCredentialID.String("key_123"),
		semconv.ClientAddress("192.0.2.9"),
	), attrs(events[0].Attributes...), "no path, method or request id: the server span has those")
	assert.Equal(t, attrs(
		otelgatehouse.AttrSource.String("ipallow"), otelgatehouse.AttrAction.String("authorize"), otelgatehouse.AttrOutcome.String("deny"),
		otelgatehouse.AttrReason.String("ip_denied"), semconv.HTTPResponseStatusCode(403),
	), attrs(events[1].Attributes...))

	for key := range counts(t, h.collect(t), otelgatehouse.MetricDecisions) {
		assert.NotContains(t, key, "svc-7")
		assert.NotContains(t, key, "acme")
		assert.NotContains(t, key, "key_123")
		assert.NotContains(t, key, "192.0.2.9")
	}
}

// TestAuditSubjectOptIn: without Config.RecordSubject a decision's span
// event carries no subject, and everything else it carries with it.
func TestAuditSubjectOptIn(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	ctx, span := h.tp.Tracer("test").Start(context.Background(), "request")
	h.tel.Audit(ctx, gatehouse.Event{
		Source: "issuer", Action: "login", Outcome: gatehouse.Denied, Reason: "invalid_credentials", Status: 401,
		Subject: "hunter2-typed-as-a-username", Tenant: "acme", ClientIP: netip.MustParseAddr("192.0.2.9"),
	})
	span.End()
	events := h.spans.Ended()[0].Events()
	require.Len(t, events, 1)
	assert.Equal(t, attrs(
		otelgatehouse.AttrSource.String("issuer"), otelgatehouse.AttrAction.String("login"), otelgatehouse.AttrOutcome.String("deny"),
		otelgatehouse.AttrReason.String("invalid_credentials"), semconv.HTTPResponseStatusCode(401),
		otelgatehouse.AttrTenant.String("acme"), semconv.ClientAddress("192.0.2.9"),
	), attrs(events[0].Attributes...))
}

// TestAuditNoSpanEvents: Config.NoSpanEvents leaves the span alone and
// still counts.
func TestAuditNoSpanEvents(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{NoSpanEvents: true})
	ctx, span := h.tp.Tracer("test").Start(context.Background(), "request")
	h.tel.Audit(ctx, gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed})
	span.End()
	assert.Empty(t, h.spans.Ended()[0].Events())
	assert.Equal(t, int64(1), counts(t, h.collect(t), otelgatehouse.MetricDecisions)[attrs(
		otelgatehouse.AttrSource.String("bearer"), otelgatehouse.AttrAction.String("authenticate"), otelgatehouse.AttrOutcome.String("allow"))])
}

// TestAuditManyCombinations: past the bound of 1024 attribute sets, new
// combinations are counted together under otel.metric.overflow=true, as
// the SDK does past its cardinality limit; no decision is lost.
func TestAuditManyCombinations(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	const n = 700
	for round := range 2 {
		for i := range n {
			h.tel.Audit(context.Background(), gatehouse.Event{Source: "custom", Action: "check", Outcome: gatehouse.Denied, Reason: gatehouse.Reason("r" + strconv.Itoa(i)), Status: 400 + round})
		}
	}
	got := counts(t, h.collect(t), otelgatehouse.MetricDecisions)
	assert.Equal(t, 1025, len(got))
	overflow := attrs(attribute.Bool("otel.metric.overflow", true))
	assert.Equal(t, int64(2*n-1024), got[overflow])
	var total int64
	for k, v := range got {
		total += v
		if k != overflow {
			assert.Equal(t, int64(1), v)
		}
	}
	assert.Equal(t, int64(2*n), total, "every decision counted")
}

// TestNewRejectsBadBuckets: boundaries must increase.
func TestNewRejectsBadBuckets(t *testing.T) {
	for _, b := range [][]float64{{}, {0.1, 0.01}, {0.1, 0.1}} {
		_, err := otelgatehouse.New(otelgatehouse.Config{Buckets: b})
		assert.Error(t, err, "%v", b)
	}
	_, err := otelgatehouse.New(otelgatehouse.Config{Buckets: []float64{0.001, 0.01}})
	assert.NoError(t, err)
}

// TestAuditConcurrent: decisions counted from many goroutines, with
// sources and reasons as constants and as strings built at run time
// (equal content at other addresses), add up exactly.
func TestAuditConcurrent(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				reason := gatehouse.Reason("token_" + []string{"expired", "revoked"}[(g+i)%2])
				h.tel.Audit(context.Background(), gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Denied, Reason: reason, Status: 401})
				h.tel.Audit(context.Background(), gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed})
			}
		})
	}
	wg.Wait()
	base := []attribute.KeyValue{otelgatehouse.AttrSource.String("bearer"), otelgatehouse.AttrAction.String("authenticate")}
	deny := func(reason string) string {
		return attrs(append(base, otelgatehouse.AttrOutcome.String("deny"), otelgatehouse.AttrReason.String(reason), semconv.HTTPResponseStatusCode(401))...)
	}
	assert.Equal(t, map[string]int64{
		attrs(append(base, otelgatehouse.AttrOutcome.String("allow"))...): goroutines * each,
		deny("token_expired"): goroutines * each / 2,
		deny("token_revoked"): goroutines * each / 2,
	}, counts(t, h.collect(t), otelgatehouse.MetricDecisions))
}
