package gatehousegin

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
)

// errHijackAfterWrite is the error of Hijack once the body has started,
// as gin's own writer answers.
var errHijackAfterWrite = errors.New("gatehousegin: response body already written")

// A writer is the gin.ResponseWriter the handlers after a wrapped
// middleware write to when the middleware passed on a ResponseWriter of its
// own: every header, status and body byte goes through the middleware's
// writer, so that it sees the response it wraps. Like gin's writer, it
// holds a status set with WriteHeader until the first Write, Flush or
// WriteHeaderNow, so that headers set after c.Status still go out, or until
// the handlers after the middleware return.
type writer struct {
	gin    gin.ResponseWriter  // c.Writer before the swap, for Pusher and CloseNotify
	w      http.ResponseWriter // the middleware's writer
	status int                 // the status set with WriteHeader, 0 for none
	size   int                 // body bytes written; -1 before the header is sent
}

var _ gin.ResponseWriter = (*writer)(nil)

func newWriter(g gin.ResponseWriter, w http.ResponseWriter) *writer {
	return &writer{gin: g, w: w, size: -1}
}

// end sends a status set with WriteHeader and not sent yet, so that the
// middleware's writer sees it before its next handler returns, as it would
// on the standard library. A response given neither a status nor a body is
// left to gin, which answers it after the last handler.
func (a *writer) end() {
	if a.status != 0 {
		a.WriteHeaderNow()
	}
}

// Header returns the middleware's writer's header map.
func (a *writer) Header() http.Header { return a.w.Header() }

// WriteHeader sets the status sent with the first write. Once the header is
// sent it has no effect, as in gin.
func (a *writer) WriteHeader(code int) {
	if code > 0 && !a.Written() {
		a.status = code
	}
}

// WriteHeaderNow sends the header with the status set so far.
func (a *writer) WriteHeaderNow() {
	if !a.Written() {
		a.size = 0
		a.w.WriteHeader(a.Status())
	}
}

func (a *writer) Write(b []byte) (int, error) {
	a.WriteHeaderNow()
	n, err := a.w.Write(b)
	a.size += n
	return n, err
}

func (a *writer) WriteString(s string) (int, error) {
	a.WriteHeaderNow()
	n, err := io.WriteString(a.w, s)
	a.size += n
	return n, err
}

// Status returns the status set with WriteHeader, or else the status gin's
// writer had when the middleware passed its writer on (200 unless an
// earlier handler set another).
func (a *writer) Status() int {
	if a.status != 0 {
		return a.status
	}
	return a.gin.Status()
}

// Size returns the body bytes written through a, -1 before the header.
func (a *writer) Size() int { return a.size }

// Written reports whether the header was sent through a.
func (a *writer) Written() bool { return a.size != -1 }

// Flush sends the header, then flushes through the middleware's writer
// (directly or through its Unwrap chain); a writer that cannot flush is
// left as it is.
func (a *writer) Flush() {
	a.WriteHeaderNow()
	_ = http.NewResponseController(a.w).Flush()
}

// Hijack takes over the connection through the middleware's writer, before
// any body byte is written.
func (a *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if a.size > 0 {
		return nil, nil, errHijackAfterWrite
	}
	conn, rw, err := http.NewResponseController(a.w).Hijack()
	if err == nil && a.size < 0 {
		a.size = 0
	}
	return conn, rw, err
}

// CloseNotify is gin's writer's.
func (a *writer) CloseNotify() <-chan bool {
	return a.gin.CloseNotify()
}

// Pusher is gin's writer's: a pushed stream is not part of this response.
func (a *writer) Pusher() http.Pusher { return a.gin.Pusher() }

// Unwrap returns the middleware's writer, for http.ResponseController and
// for middleware that look for their own writer in the chain (as
// envelope.Use looks for envelope.Recover's).
func (a *writer) Unwrap() http.ResponseWriter { return a.w }
