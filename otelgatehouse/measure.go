package otelgatehouse

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse-go/gatehouse"
)

// stepKey is what the step histogram is broken down by.
type stepKey struct {
	step    string
	outcome gatehouse.Outcome
}

func (k stepKey) attributes() []attribute.KeyValue {
	return []attribute.KeyValue{AttrStep.String(k.step), AttrOutcome.String(string(k.outcome))}
}

// Measure wraps the middleware mw — any func(http.Handler) http.Handler,
// such as bearer's Authenticator.Middleware — so that the time each
// request spends in it is recorded in the gatehouse.step.duration
// histogram under the name step: from its entry until it calls the next
// handler (outcome "allow"), or until it returns without calling it
// (outcome "deny", or "error" for a 5xx answer). The time of the handlers
// after it is not included. It changes nothing else: mw sees the same
// request and writer, and next the writer mw gives it.
//
//	api := gatehouse.Chain(
//		tel.Measure("bearer", auth.Middleware),
//		tel.Measure("ipallow", perAccount.Middleware),
//	)(handler)
//
// Measure recognizes the call of next through the writer mw hands it; a
// middleware that wraps the writer must let its wrapper be unwrapped
// (an Unwrap() http.ResponseWriter method, as http.ResponseController
// expects and as gatehouse's middleware do), else an admitted request's
// step is not recorded. Without Config.StepSpans, a request costs two
// clock readings and one histogram record, and allocates nothing; with
// it, the step also gets a span.
func (t *Telemetry) Measure(step string, mw gatehouse.Middleware) gatehouse.Middleware {
	var attrs [3]*attrOpts
	for i, o := range []gatehouse.Outcome{gatehouse.Allowed, gatehouse.Denied, gatehouse.Failed} {
		attrs[i] = newAttrOpts(stepKey{step, o}.attributes())
	}
	spanName := "gatehouse." + step
	return func(next http.Handler) http.Handler {
		m := &measured{t: t, allow: attrs[0], deny: attrs[1], fail: attrs[2], spanName: spanName}
		m.inner = mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sw := m.find(w); sw != nil && !sw.admitted {
				sw.admitted = true
				ctx := r.Context()
				t.stepDuration.Record(ctx, time.Since(sw.start).Seconds(), m.allow.rec...)
				if sw.span != nil {
					sw.span.SetAttributes(AttrOutcome.String(string(gatehouse.Allowed)))
					sw.span.End()
					// What follows the step is the request's, not the
					// step's: its spans are children of the request span.
					r = r.WithContext(trace.ContextWithSpan(ctx, sw.parent))
				}
				if w == http.ResponseWriter(sw) {
					w = sw.ResponseWriter
				}
			}
			next.ServeHTTP(w, r)
		}))
		return m
	}
}

// measured is one Measure'd middleware around its next handler.
type measured struct {
	t                 *Telemetry
	inner             http.Handler // mw(the admitting handler)
	allow, deny, fail *attrOpts
	spanName          string
}

var stepWriters = sync.Pool{New: func() any { return new(stepWriter) }}

func (m *measured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := stepWriters.Get().(*stepWriter)
	sw.ResponseWriter, sw.owner = w, m
	if m.t.stepSpans {
		sw.parent = trace.SpanFromContext(r.Context())
		var ctx context.Context
		ctx, sw.span = m.t.tracer.Start(r.Context(), m.spanName, trace.WithSpanKind(trace.SpanKindInternal))
		r = r.WithContext(ctx)
	}
	sw.start = time.Now()
	m.inner.ServeHTTP(sw, r)
	if !sw.admitted {
		m.refused(r.Context(), sw)
	}
	*sw = stepWriter{}
	stepWriters.Put(sw)
}

// refused records a step that answered the request itself.
func (m *measured) refused(ctx context.Context, sw *stepWriter) {
	o, outcome := m.deny, gatehouse.Denied
	switch {
	case sw.status >= http.StatusInternalServerError:
		o, outcome = m.fail, gatehouse.Failed
	case sw.status < http.StatusBadRequest:
		// Not a refusal: mw answered 2xx/3xx itself, or called next
		// through a writer Measure cannot unwrap. Nothing is recorded
		// rather than a wrong duration.
		if sw.span != nil {
			sw.span.End()
		}
		return
	}
	m.t.stepDuration.Record(ctx, time.Since(sw.start).Seconds(), o.rec...)
	if sw.span != nil {
		sw.span.SetAttributes(AttrOutcome.String(string(outcome)), semconv.HTTPResponseStatusCode(sw.status))
		if outcome == gatehouse.Failed {
			sw.span.SetStatus(codes.Error, "")
		}
		sw.span.End()
	}
}

// find returns the stepWriter of this measured middleware that w is or
// wraps, or nil.
func (m *measured) find(w http.ResponseWriter) *stepWriter {
	for range 16 {
		if sw, ok := w.(*stepWriter); ok && sw.owner == m {
			return sw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// A stepWriter is the writer a measured middleware sees: it carries the
// step's start to the admitting handler and the status of a refusal back.
type stepWriter struct {
	http.ResponseWriter
	owner    *measured
	start    time.Time
	status   int
	admitted bool
	span     trace.Span // the step's span, with Config.StepSpans
	parent   trace.Span // the request's span, with Config.StepSpans
}

func (w *stepWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *stepWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush flushes the underlying writer when it can.
func (w *stepWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *stepWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
