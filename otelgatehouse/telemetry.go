package otelgatehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and tracer a
// [Telemetry] uses: the module's import path.
const ScopeName = "github.com/gatehouse-go/gatehouse/otelgatehouse"

// DefaultBuckets are the boundaries, in seconds, of the duration
// histograms unless Config.Buckets replaces them: from 10 µs (a cached
// token, an in-memory store) through the milliseconds of a Redis round
// trip to the 50–500 ms of a bcrypt password check.
var DefaultBuckets = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
}

// Config configures a [Telemetry]. The zero Config is usable: the global
// providers (otel.GetMeterProvider, otel.GetTracerProvider), decision
// events on recording spans, no span per step.
type Config struct {
	// MeterProvider creates the instruments. Default:
	// otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// TracerProvider starts the spans of [Telemetry.Measure] when
	// StepSpans is set. Default: otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// StepSpans makes [Telemetry.Measure] start a span per measured step,
	// a child of the request's span. It costs a few allocations per
	// request (a span, a context and a shallow copy of the request).
	// Default: false.
	StepSpans bool
	// NoSpanEvents turns off the "gatehouse.decision" event that
	// [Telemetry.Audit] adds to the request's span when that span is
	// recording. Default: false (events on).
	NoSpanEvents bool
	// RecordSubject adds the principal's subject to the decision span
	// events, as enduser.id. A subject is personal data (a username, an
	// e-mail address) and, on a refused login, whatever the caller typed
	// as the username — at times a password typed in the wrong field —
	// while a trace backend usually keeps it beyond the application's
	// retention and access rules, so it is left out unless set. The
	// tenant, credential id and client address are recorded either way.
	// Default: false.
	RecordSubject bool
	// Buckets are the explicit boundaries, in seconds, of the step and
	// store duration histograms, in increasing order. Default:
	// [DefaultBuckets].
	Buckets []float64
}

// Telemetry records gatehouse's decisions, step latencies, store calls
// and key-set refreshes as OpenTelemetry metrics and span events. Build
// it with [New]; it is safe for concurrent use.
//
//   - As a gatehouse.Auditor (Config.Audit of every middleware) it counts
//     every decision and adds an event to the request's span.
//   - [Telemetry.Measure] wraps a middleware to time its step.
//   - The store wrappers ([Telemetry.RevocationStore] and the others)
//     time every store call and count its failures.
//   - [Telemetry.KeySetFetched] and [Telemetry.ObserveKeySets] report the
//     bearer package's remote key sets.
//
// Every instrument and attribute is listed in the package README. No
// attribute carries a token, key, password, secret or signature: the
// audit events it is built on carry none, and the high-cardinality ones
// (subject, credential id, client address, path) go on spans only, never
// on metrics.
type Telemetry struct {
	decisions     metric.Int64ObservableCounter
	stepDuration  metric.Float64Histogram
	storeDuration metric.Float64Histogram
	storeErrors   metric.Int64Counter
	fetches       metric.Int64Counter
	keySetAge     metric.Float64ObservableGauge
	keySetKeys    metric.Int64ObservableGauge
	keySetFails   metric.Int64ObservableGauge
	meter         metric.Meter
	tracer        trace.Tracer
	stepSpans     bool
	spanEvents    bool
	subject       bool // Config.RecordSubject

	decisionAttrs decisionCache
}

// New returns a Telemetry whose instruments come from cfg.MeterProvider.
// It fails when a bucket boundary list is not increasing, or when the
// provider refuses an instrument.
func New(cfg Config) (*Telemetry, error) {
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	buckets := cfg.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	if len(buckets) == 0 || !slices.IsSorted(buckets) || len(slices.Compact(slices.Clone(buckets))) != len(buckets) {
		return nil, errors.New("otelgatehouse: Config.Buckets must be increasing boundaries")
	}
	t := &Telemetry{
		meter:      mp.Meter(ScopeName),
		tracer:     tp.Tracer(ScopeName),
		stepSpans:  cfg.StepSpans,
		spanEvents: !cfg.NoSpanEvents,
		subject:    cfg.RecordSubject,
	}
	m := t.meter
	var errs []error
	var err error
	t.decisions, err = m.Int64ObservableCounter(MetricDecisions,
		metric.WithDescription("Access decisions of gatehouse's middleware, by deciding package, action, outcome, reason and HTTP status."),
		metric.WithUnit("{decision}"))
	errs = append(errs, err)
	t.stepDuration, err = m.Float64Histogram(MetricStepDuration,
		metric.WithDescription("Time a measured authentication step took, from its entry until it admitted the request (called the next handler) or answered it."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(buckets...))
	errs = append(errs, err)
	t.storeDuration, err = m.Float64Histogram(MetricStoreDuration,
		metric.WithDescription("Duration of the store calls gatehouse makes, by store and operation; error.type is set when the call failed."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(buckets...))
	errs = append(errs, err)
	t.storeErrors, err = m.Int64Counter(MetricStoreErrors,
		metric.WithDescription("Store calls that failed (a timeout, a lost connection; not an answer such as key not found), by store, operation and error.type."),
		metric.WithUnit("{error}"))
	errs = append(errs, err)
	t.fetches, err = m.Int64Counter(MetricKeySetFetches,
		metric.WithDescription("Refreshes of the bearer package's remote JWK Sets, by issuer and result."),
		metric.WithUnit("{fetch}"))
	errs = append(errs, err)
	t.keySetAge, err = m.Float64ObservableGauge(MetricKeySetAge,
		metric.WithDescription("Time since the remote JWK Set was last fetched or confirmed current; absent before the first success."),
		metric.WithUnit("s"))
	errs = append(errs, err)
	t.keySetKeys, err = m.Int64ObservableGauge(MetricKeySetKeys,
		metric.WithDescription("Usable keys in the remote JWK Set; 0 means its issuer's tokens are answered 503."),
		metric.WithUnit("{key}"))
	errs = append(errs, err)
	t.keySetFails, err = m.Int64ObservableGauge(MetricKeySetFailures,
		metric.WithDescription("Refreshes of the remote JWK Set that failed in a row since its last success."),
		metric.WithUnit("{fetch}"))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("otelgatehouse: creating the instruments: %w", err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		t.decisionAttrs.each(func(a *attrOpts) { o.ObserveInt64(t.decisions, a.n.Load(), a.obs...) })
		return nil
	}, t.decisions)
	if err != nil {
		return nil, fmt.Errorf("otelgatehouse: registering the decisions counter: %w", err)
	}
	return t, nil
}
