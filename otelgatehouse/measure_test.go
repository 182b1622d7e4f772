package otelgatehouse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

func step(name, outcome string) string {
	return attrs(otelgatehouse.AttrStep.String(name), otelgatehouse.AttrOutcome.String(outcome))
}

// TestMeasureStep: a measured bearer middleware records its own time
// only — not the handler's after it — under allow, deny or error.
func TestMeasureStep(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	p := gatehousetest.NewProvider(t, gatehousetest.WithAlgorithm("HS256"))
	auth := p.Authenticator(t, bearer.Config{})
	const handlerTime = 30 * time.Millisecond
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := gatehouse.PrincipalFrom(r.Context())
		assert.True(t, ok, "the handler sees what the middleware put in the request")
		time.Sleep(handlerTime)
		w.WriteHeader(http.StatusNoContent)
	})
	api := gatehouse.Chain(h.tel.Measure("bearer", auth.Middleware))(slow)
	unavailable := h.tel.Measure("store", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			envelope.Write(w, r, envelope.ErrUnavailable)
		})
	})(slow)

	good := p.Token(t, gatehousetest.Claims{})
	assert.Equal(t, 204, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(good))).Code)
	assert.Equal(t, 204, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(good))).Code)
	assert.Equal(t, 401, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/")).Code)
	assert.Equal(t, 503, gatehousetest.Serve(unavailable, gatehousetest.Request(t, "GET", "/")).Code)

	got := histograms(t, h.collect(t), otelgatehouse.MetricStepDuration)
	require.Len(t, got, 3, "%v", got)
	allow := got[step("bearer", "allow")]
	assert.Equal(t, uint64(2), allow.Count)
	assert.Less(t, allow.Sum, handlerTime.Seconds(), "the handler's time is not the step's")
	assert.Positive(t, allow.Sum)
	assert.Equal(t, uint64(1), got[step("bearer", "deny")].Count)
	assert.Equal(t, uint64(1), got[step("store", "error")].Count)
	assert.Equal(t, otelgatehouse.DefaultBuckets, got[step("bearer", "allow")].Bounds)
}

// wrapping is a middleware that wraps the writer, with or without Unwrap.
func wrapping(unwrap bool) gatehouse.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if unwrap {
				next.ServeHTTP(&unwrapper{ResponseWriter: w}, r)
			} else {
				next.ServeHTTP(&opaque{ResponseWriter: w}, r)
			}
		})
	}
}

type unwrapper struct{ http.ResponseWriter }

func (u *unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

type opaque struct{ http.ResponseWriter }

// TestMeasureWrappedWriter: a middleware that wraps the writer is still
// measured when its wrapper unwraps; the handler after it gets that
// wrapper, and flushes reach the connection. One that cannot be
// unwrapped serves the request as ever, and its step is not recorded.
func TestMeasureWrappedWriter(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	flush := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, isWrapper := w.(*unwrapper)
		_, isOpaque := w.(*opaque)
		assert.True(t, isWrapper || isOpaque, "the handler gets the middleware's writer: %T", w)
		_, _ = w.Write([]byte("hi"))
		require.NoError(t, http.NewResponseController(w).Flush())
	})
	rec := httptest.NewRecorder()
	h.tel.Measure("wrapped", wrapping(true))(flush).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "hi", rec.Body.String())
	assert.True(t, rec.Flushed)

	rec = httptest.NewRecorder()
	h.tel.Measure("opaque", func(next http.Handler) http.Handler {
		return wrapping(false)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("hi"))
		}))
	})(flush).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "hi", rec.Body.String())

	got := histograms(t, h.collect(t), otelgatehouse.MetricStepDuration)
	assert.Equal(t, uint64(1), got[step("wrapped", "allow")].Count)
	assert.Len(t, got, 1, "the opaque step is not recorded: %v", got)
}

// TestMeasureNested: measured steps in one chain each record their own.
func TestMeasureNested(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	deny := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { envelope.Write(w, r, envelope.ErrForbidden) })
	}
	pass := func(next http.Handler) http.Handler { return next }
	allowed := gatehouse.Chain(h.tel.Measure("a", pass), h.tel.Measure("b", wrapping(true)), h.tel.Measure("c", pass))(ok200)
	denied := gatehouse.Chain(h.tel.Measure("a", pass), h.tel.Measure("b", deny))(ok200)
	assert.Equal(t, 200, gatehousetest.Serve(allowed, httptest.NewRequest("GET", "/", nil)).Code)
	assert.Equal(t, 403, gatehousetest.Serve(denied, httptest.NewRequest("GET", "/", nil)).Code)

	got := histograms(t, h.collect(t), otelgatehouse.MetricStepDuration)
	counts := map[string]uint64{}
	for k, dp := range got {
		counts[k] = dp.Count
	}
	assert.Equal(t, map[string]uint64{
		step("a", "allow"): 2, step("b", "allow"): 1, step("c", "allow"): 1, step("b", "deny"): 1,
	}, counts)
}

// TestMeasureStepSpans: with StepSpans each step gets a span, a child of
// the request's, with its outcome; the handler after the step runs in
// the request's span, not in the step's.
func TestMeasureStepSpans(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{StepSpans: true})
	p := gatehousetest.NewProvider(t, gatehousetest.WithAlgorithm("HS256"))
	auth := p.Authenticator(t, bearer.Config{})
	var handlerSpan trace.SpanContext
	api := h.tel.Measure("bearer", auth.Middleware)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := gatehouse.PrincipalFrom(r.Context())
		assert.True(t, ok)
		handlerSpan = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))

	ctx, root := h.tp.Tracer("test").Start(context.Background(), "request")
	r := gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(p.Token(t, gatehousetest.Claims{}))).WithContext(ctx)
	assert.Equal(t, 204, gatehousetest.Serve(api, r).Code)
	r = gatehousetest.Request(t, "GET", "/").WithContext(ctx)
	assert.Equal(t, 401, gatehousetest.Serve(api, r).Code)
	root.End()

	ended := h.spans.Ended()
	require.Len(t, ended, 3)
	assert.Equal(t, root.SpanContext(), handlerSpan, "the handler runs in the request's span")
	for i, want := range []string{"allow", "deny"} {
		s := ended[i]
		assert.Equal(t, "gatehouse.bearer", s.Name())
		assert.Equal(t, root.SpanContext().SpanID(), s.Parent().SpanID())
		assert.Contains(t, s.Attributes(), otelgatehouse.AttrOutcome.String(want))
	}
	assert.Contains(t, ended[1].Attributes(), attribute.Int("http.response.status_code", 401))
}

// TestMeasureAnswersItself: a middleware that answers 2xx without calling
// next is not a refusal; nothing is recorded.
func TestMeasureAnswersItself(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	metadata := h.tel.Measure("metadata", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = envelope.OK(w, "doc") })
	})(ok200)
	assert.Equal(t, 200, gatehousetest.Serve(metadata, httptest.NewRequest("GET", "/", nil)).Code)
	assert.Empty(t, histograms(t, h.collect(t), otelgatehouse.MetricStepDuration))
}
