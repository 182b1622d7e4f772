package otelgatehouse

import (
	"context"
	"errors"
	"net"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// The gatehouse.store values of the store wrappers.
const (
	StoreRevocations = "revocations" // bearer.RevocationStore
	StoreTokens      = "tokens"      // bearer.TokenStore
	StoreAPIKeys     = "apikeys"     // apikey.Store
	StoreIPLists     = "ip_lists"    // ipallow.ListStore
	StoreRateLimit   = "ratelimit"   // ratelimit.Store
	StoreFailures    = "failures"    // ratelimit.FailureStore
	StoreRefresh     = "refresh"     // issuer.RefreshStore
)

// A storeOp is one method of a wrapped store: its attributes, built once,
// and the errors that are answers of the method rather than failures of
// the store (a key not found, a reused refresh token).
type storeOp struct {
	t         *Telemetry
	store, op string
	ok        *attrOpts
	answers   []error
}

func (t *Telemetry) storeOp(store, op string, answers ...error) *storeOp {
	return &storeOp{
		t: t, store: store, op: op, answers: answers,
		ok: newAttrOpts([]attribute.KeyValue{AttrStore.String(store), AttrOperation.String(op)}),
	}
}

// done records a call that began at start and returned err.
func (o *storeOp) done(ctx context.Context, start time.Time, err error) {
	d := time.Since(start).Seconds()
	if err == nil || slices.ContainsFunc(o.answers, func(a error) bool { return errors.Is(err, a) }) {
		o.t.storeDuration.Record(ctx, d, o.ok.rec...)
		return
	}
	opt := metric.WithAttributes(AttrStore.String(o.store), AttrOperation.String(o.op), errorType(err))
	o.t.storeDuration.Record(ctx, d, opt)
	o.t.storeErrors.Add(ctx, 1, opt)
}

// errorType is the error.type of a store failure: "timeout" for a
// deadline or a network timeout, "canceled" for a canceled context, else
// the semantic conventions' type name of the error.
func errorType(err error) attribute.KeyValue {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return semconv.ErrorTypeKey.String("timeout")
	case errors.Is(err, context.Canceled):
		return semconv.ErrorTypeKey.String("canceled")
	}
	return semconv.ErrorType(err)
}
