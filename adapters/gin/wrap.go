package gatehousegin

import (
	"context"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Wrap turns mw into gin middleware, built once: mw is given its next
// handler when Wrap is called, not per request, so a middleware that keeps
// state per handler keeps it across requests.
//
// For each request, mw runs with gin's c.Writer and c.Request:
//
//   - When mw answers without calling its next handler (a refusal), the
//     gin chain is aborted with c.Abort: no handler after Wrap runs and
//     nothing more is written, so the response is mw's answer alone,
//     status and headers included. c.Request is left as it was.
//   - When mw calls next, c.Request becomes the request mw passed on, the
//     Principal in its context (if any) is stored for [Principal], and the
//     rest of the gin chain runs (c.Next) inside that call. If mw passed on
//     a ResponseWriter other than the one it was given, c.Writer writes
//     through it until the chain returns, and is then restored.
//   - When the chain panics, the panic unwinds through mw, so a recovering
//     middleware such as envelope.Recover answers it; Wrap then aborts the
//     chain, so no handler after the panicking one runs. A panic nothing
//     in mw recovers goes on to gin's Recovery, c.Writer restored.
//
// mw must call next, if at all, before it returns and on the goroutine it
// was called on, as every gatehouse middleware does: a call after mw has
// returned is ignored, and a second call does nothing. mw must not write
// a response and then call next; Wrap treats a response that has started
// (written or given a status) when next is called as a refusal, runs
// nothing more and aborts the chain. mw must pass next a request derived
// from the one it got (r.WithContext(ctx) with ctx derived from
// r.Context(), as all middleware do): Wrap finds the gin chain through
// that context, and answers a request whose context does not derive from
// it with a 500 in the envelope and aborts.
//
// A nil mw, or one that returns a nil handler, makes a gin handler that
// answers every request with a 500 ([envelope.ErrInternal]) and aborts.
func Wrap(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	var h http.Handler
	if mw != nil {
		h = mw(http.HandlerFunc(proceed))
	}
	if h == nil {
		return func(c *gin.Context) {
			envelope.Write(c.Writer, c.Request, envelope.ErrInternal)
			c.Abort()
		}
	}
	return func(c *gin.Context) {
		if c.Request == nil { // a test context without a request
			envelope.Write(c.Writer, nil, envelope.ErrInternal)
			c.Abort()
			return
		}
		s := &call{Context: c.Request.Context(), c: c, writer: c.Writer, status: c.Writer.Status()}
		s.mark.ResponseWriter = c.Writer
		func() {
			defer func() { s.returned = true }()
			h.ServeHTTP(&s.mark, c.Request.WithContext(s))
		}()
		if !s.finished {
			c.Abort()
		}
	}
}

// A call is one request's pass through a wrapped middleware. It is also
// the context of the request the middleware is given, which is how
// proceed, called with only a ResponseWriter and a request, finds the gin
// context and the rest of the chain.
type call struct {
	context.Context
	c        *gin.Context
	writer   gin.ResponseWriter // c.Writer when the middleware was entered
	mark     markWriter         // writer, as the middleware is given it
	status   int                // writer.Status() at that moment
	called   bool               // the middleware called next
	finished bool               // the chain after Wrap ran and returned
	returned bool               // the middleware returned
}

type callKey struct{}

// Value returns the call itself for callKey, and otherwise what the
// request's context holds.
func (s *call) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return s
	}
	return s.Context.Value(key)
}

// proceed is the next handler of every wrapped middleware: it runs the rest
// of the gin chain with the request and writer the middleware passed on.
func proceed(w http.ResponseWriter, r *http.Request) {
	s, _ := r.Context().Value(callKey{}).(*call)
	if s == nil {
		// Not a request derived from the one Wrap handed the middleware:
		// the gin chain it belongs to is unknown, so nothing runs.
		envelope.Write(w, r, envelope.ErrInternal)
		return
	}
	if s.called || s.returned {
		return
	}
	s.called = true
	if s.mark.started || s.writer.Written() || s.writer.Status() != s.status {
		// The middleware answered, then called next: a handler's output
		// would follow its answer. The request counts as refused.
		return
	}
	c := s.c
	c.Request = r
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
		c.Set(principalKey{}, p) // read-only: Principal hands out copies
	} else {
		c.Delete(principalKey{})
	}
	if w != http.ResponseWriter(&s.mark) && !same(w, s.writer) {
		a := newWriter(s.writer, w)
		c.Writer = a
		defer func() { c.Writer = s.writer }()
		c.Next()
		a.end()
	} else {
		c.Next()
	}
	s.finished = true
}

// A markWriter is gin's writer as Wrap hands it to the middleware. It
// records whether the middleware gave the response a status or wrote to
// it, which gin's writer cannot tell for a status of 200, its default.
type markWriter struct {
	gin.ResponseWriter
	started bool
}

func (m *markWriter) WriteHeader(code int) {
	m.started = true
	m.ResponseWriter.WriteHeader(code)
}

func (m *markWriter) WriteHeaderNow() {
	m.started = true
	m.ResponseWriter.WriteHeaderNow()
}

func (m *markWriter) Write(b []byte) (int, error) {
	m.started = true
	return m.ResponseWriter.Write(b)
}

func (m *markWriter) WriteString(s string) (int, error) {
	m.started = true
	return m.ResponseWriter.WriteString(s)
}

// Flush sends the header: the response has started.
func (m *markWriter) Flush() {
	m.started = true
	m.ResponseWriter.Flush()
}

// Unwrap returns gin's writer, for http.ResponseController.
func (m *markWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// same reports whether w is the writer g, without the run-time panic of
// comparing two interface values of one non-comparable type.
func same(w http.ResponseWriter, g gin.ResponseWriter) bool {
	if t := reflect.TypeOf(w); t != reflect.TypeOf(g) || !t.Comparable() {
		return false
	}
	return w == http.ResponseWriter(g)
}
