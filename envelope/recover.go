package envelope

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
)

// Recover returns middleware that turns a panic in the handler it wraps —
// in a handler, or in a user callback a gatehouse middleware calls, such as
// a claim validator, a key function, a tenant resolver or a rate-limit
// function — into a 500 [ErrInternal] response instead of a dropped
// connection. Put it outermost, outside [Use].
//
// Each panic is logged at level Error through logger (slog.Default() when
// logger is nil) with the request's method and URL path, the panic value
// and the goroutine's stack trace. Nothing else of the request is logged:
// no query string, header or body, which may carry credentials.
//
// The 500 is rendered in the style the innermost [Use] the request passed
// through selected (or, with Recover inside Use, the style in the
// request's context; [Nested] without either), with the usual error
// headers; the headers the failed handler had set are discarded. When the
// handler had already sent its response headers, a 500 can no longer be
// sent: Recover then logs the panic and aborts the response by panicking
// with [http.ErrAbortHandler], as net/http does for a handler that wants
// its client to see a broken response. A panic with http.ErrAbortHandler
// itself is passed on unlogged.
//
// The ResponseWriter handed to the wrapped handler supports
// [http.Flusher], [http.Hijacker] and [http.ResponseController], and
// unwraps to the original one.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := &recoverWriter{ResponseWriter: w}
			defer func() {
				if v := recover(); v != nil {
					rw.recovered(logger, r, v)
				}
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// recovered handles the panic value v of the request r.
func (rw *recoverWriter) recovered(logger *slog.Logger, r *http.Request, v any) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(r.Context(), slog.LevelError, "envelope: panic serving request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(v)), // fmt survives a panicking String or Error method
		slog.Bool("response_started", rw.started),
		slog.String("stack", string(debug.Stack())),
	)
	if rw.started {
		panic(http.ErrAbortHandler)
	}
	clear(rw.ResponseWriter.Header())
	style := rw.style
	if style == nil {
		style = Resolve(r, nil)
	}
	e := writable(As(ErrInternal))
	body, ct, ok := renderBody(r, style, e)
	if !ok {
		// The style is the application's code, and it panicked too:
		// the 500 is rendered by the default style instead.
		logger.LogAttrs(r.Context(), slog.LevelError, "envelope: the error style panicked rendering the 500; rendered with Nested",
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
		body, ct = Nested.AppendBody(nil, r, e)
	}
	respond(rw.ResponseWriter, e, body, contentTypeHeader(ct), nil)
}

// renderBody returns e's body and content type in style, and false when
// the style panicked. Only the rendering is guarded: a panic of the
// ResponseWriter itself is not the style's.
func renderBody(r *http.Request, style Style, e *Error) (body []byte, ct string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	body, ct = Resolve(r, style).AppendBody(nil, r, e)
	return body, ct, true
}

// A recoverWriter records whether the response headers were sent, and the
// style [Use] selected inside [Recover] (see noteStyle).
type recoverWriter struct {
	http.ResponseWriter
	started bool
	style   Style
}

func (rw *recoverWriter) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		rw.started = true
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recoverWriter) Write(b []byte) (int, error) {
	rw.started = true
	return rw.ResponseWriter.Write(b)
}

// Flush implements http.Flusher; flushing sends the headers.
func (rw *recoverWriter) Flush() { _ = rw.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (rw *recoverWriter) FlushError() error {
	err := http.NewResponseController(rw.ResponseWriter).Flush()
	if err == nil {
		rw.started = true
	}
	return err
}

// Hijack implements http.Hijacker when the original writer supports it;
// after a hijack, no response can be written.
func (rw *recoverWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := http.NewResponseController(rw.ResponseWriter).Hijack()
	if err == nil {
		rw.started = true
	}
	return conn, buf, err
}

// Unwrap returns the original writer, for http.ResponseController.
func (rw *recoverWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// noteStyle tells the [Recover] around w, if any, that style is the
// request's error style; w may be wrapped by writers that unwrap.
func noteStyle(w http.ResponseWriter, style Style) {
	for range 8 { // a bound against a writer that unwraps to itself
		switch x := w.(type) {
		case *recoverWriter:
			x.style = style
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}
