package otelgatehouse_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmark measures the middleware, not a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkAllowPath is the allow path of a bearer token served from the
// verified-token cache, in one run:
//
//   - bare: the middleware without an Auditor;
//   - audit-noop: with an Auditor that does nothing (the cost of building
//     the audit event, which is gatehouse's, not the metrics');
//   - metrics: with the Telemetry as Auditor (the decisions counter, on
//     the real SDK with a reader attached);
//   - metrics+measure: that, and the step measured with Measure;
//   - audit-call: Telemetry.Audit alone, for one allowed decision: what
//     the metrics cost per decision;
//   - counter-add: the control, the SDK's synchronous Counter.Add alone
//     with a precomputed attribute set (which Audit does not use: it
//     pre-aggregates, see Telemetry.Audit).
//
// The target: metrics adds at most 50 ns and no allocation to the chain
// that builds the audit event (audit-noop); building it is gatehouse's
// own cost of auditing, paid by any Auditor.
func BenchmarkAllowPath(b *testing.B) {
	p := gatehousetest.NewProvider(b, gatehousetest.WithAlgorithm("HS256"))
	token := p.Token(b, gatehousetest.Claims{Subject: "alice"})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	tel, err := otelgatehouse.New(otelgatehouse.Config{MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	noop := gatehouse.AuditFunc(func(context.Context, gatehouse.Event) {})
	handler := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	chains := []struct {
		name  string
		audit gatehouse.Auditor
		wrap  func(gatehouse.Middleware) gatehouse.Middleware
	}{
		{"bare", nil, nil},
		{"audit-noop", noop, nil},
		{"metrics", tel, nil},
		{"metrics+measure", tel, func(mw gatehouse.Middleware) gatehouse.Middleware { return tel.Measure("bearer", mw) }},
	}
	built := make([]http.Handler, len(chains))
	r := gatehousetest.Request(b, "GET", "/api/orders", gatehousetest.WithBearer(token))
	w := &discardWriter{h: http.Header{}}
	for i, c := range chains {
		auth := p.Authenticator(b, bearer.Config{Audit: c.audit})
		mw := gatehouse.Middleware(auth.Middleware)
		if c.wrap != nil {
			mw = c.wrap(mw)
		}
		h := mw(handler)
		h.ServeHTTP(w, r) // fills the cache
		built[i] = h
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}

	// interleaved: the four chains one after the other in every
	// iteration, each request timed, so that the machine's load weighs on
	// all of them alike; it reports the median time of a request of each
	// chain (two clock readings included, the same for all) and metrics'
	// differences to bare and to audit-noop. Medians, not means: a
	// preemption lands on one request of one chain.
	b.Run("interleaved", func(b *testing.B) {
		var samples [4][]time.Duration
		for b.Loop() {
			for i, h := range built {
				start := time.Now()
				h.ServeHTTP(w, r)
				if len(samples[i]) < 1<<21 {
					samples[i] = append(samples[i], time.Since(start))
				}
			}
		}
		median := func(i int) float64 {
			s := slices.Clone(samples[i])
			slices.Sort(s)
			return float64(s[len(s)/2].Nanoseconds())
		}
		for i, c := range chains {
			b.ReportMetric(median(i), c.name+"-ns/req")
		}
		b.ReportMetric(median(2)-median(0), "metrics-minus-bare-ns")
		b.ReportMetric(median(2)-median(1), "metrics-minus-noop-ns")
		b.ReportMetric(0, "ns/op")
	})

	b.Run("audit-call", func(b *testing.B) {
		ev := gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed, Subject: "alice"}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			tel.Audit(ctx, ev)
		}
	})
	b.Run("counter-add", func(b *testing.B) {
		counter, err := mp.Meter("control").Int64Counter("control.decisions")
		if err != nil {
			b.Fatal(err)
		}
		opts := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
			otelgatehouse.AttrSource.String("bearer"), otelgatehouse.AttrAction.String("authenticate"), otelgatehouse.AttrOutcome.String("allow"),
		))}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			counter.Add(ctx, 1, opts...)
		}
	})
}

// BenchmarkRevocationStore is a revocation check, the store call every
// authenticated request makes, on the in-memory store bare and through
// the wrapper (two clock readings and a histogram record more).
func BenchmarkRevocationStore(b *testing.B) {
	tel, err := otelgatehouse.New(otelgatehouse.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))})
	if err != nil {
		b.Fatal(err)
	}
	ref := &bearer.TokenRef{Subject: "alice", ID: "jti-1", SessionID: "sid-1", IssuedAt: 1}
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		store bearer.RevocationStore
	}{
		{"bare", bearer.NewMemoryRevocations(nil)},
		{"wrapped", tel.RevocationStore(bearer.NewMemoryRevocations(nil))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.store.Revoked(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
