package otelgatehouse_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

// harness is a Telemetry on the real SDK, with an in-memory metric reader
// and span recorder.
type harness struct {
	tel    *otelgatehouse.Telemetry
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newHarness(t testing.TB, cfg otelgatehouse.Config) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = h.tp.Shutdown(context.Background())
	})
	cfg.MeterProvider, cfg.TracerProvider = mp, h.tp
	tel, err := otelgatehouse.New(cfg)
	require.NoError(t, err)
	h.tel = tel
	return h
}

// collect reads every metric recorded so far.
func (h *harness) collect(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	return rm
}

// findMetric returns the metric name of rm; ok is false when nothing was
// recorded under it.
func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// counts returns an int64 sum's data points, keyed by their attribute set
// rendered as "k=v,k=v" (sorted), for exact comparisons.
func counts(t testing.TB, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, ok := findMetric(rm, name)
	if !ok {
		return out
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", name, m.Data)
	for _, dp := range sum.DataPoints {
		out[render(dp.Attributes)] += dp.Value
	}
	return out
}

// histograms returns a float64 histogram's data points by attribute set.
func histograms(t testing.TB, rm metricdata.ResourceMetrics, name string) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	out := map[string]metricdata.HistogramDataPoint[float64]{}
	m, ok := findMetric(rm, name)
	if !ok {
		return out
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", name, m.Data)
	for _, dp := range h.DataPoints {
		out[render(dp.Attributes)] = dp
	}
	return out
}

// render writes an attribute set as "k=v,k=v", keys sorted (Set's order).
func render(s attribute.Set) string {
	var b []byte
	for i, kv := range s.ToSlice() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, kv.Key...)
		b = append(b, '=')
		b = append(b, kv.Value.String()...)
	}
	return string(b)
}

// attrs renders kvs as render does, for the expected side.
func attrs(kvs ...attribute.KeyValue) string { return render(attribute.NewSet(kvs...)) }

// fanOut sends each event to every auditor: the local stand-in for a
// root-package fan-out, so that one chain both logs and measures.
func fanOut(auditors ...gatehouse.Auditor) gatehouse.Auditor {
	auditors = slices.DeleteFunc(auditors, func(a gatehouse.Auditor) bool { return a == nil })
	return gatehouse.AuditFunc(func(ctx context.Context, e gatehouse.Event) {
		for _, a := range auditors {
			a.Audit(ctx, e)
		}
	})
}

// httpHandler adapts a handler method.
func httpHandler(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
