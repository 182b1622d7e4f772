package gatehouseecho

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Wrap turns mw into echo middleware. mw is given its next handler once,
// when Wrap is called, not per request (echo applies the middleware of
// e.Use to every request anew), so a middleware that keeps state per
// handler keeps it across requests.
//
// For each request, mw runs with c.Response() and c.Request():
//
//   - When mw answers without calling its next handler (a refusal), the
//     next echo handler is not called and the echo handler Wrap makes
//     returns nil: the response is mw's answer alone, status and headers
//     included, and echo's HTTPErrorHandler is not called.
//   - When mw calls next, c.Request() becomes the request mw passed on
//     (c.SetRequest), the Principal in its context (if any) is stored for
//     [Principal], and the next echo handler runs inside that call; its
//     error is what the echo handler Wrap makes returns.
//   - If mw passed on a ResponseWriter other than the one it was given,
//     c.Response() is, until the next handler returns, a new
//     echo.Response writing through it (c.SetResponse), and a non-nil
//     error of the next handler is answered there and then with c.Error
//     unless the response has started, as echo's RequestLogger does with
//     HandleError: so mw sees that answer too. The error is still
//     returned, for the echo middleware before Wrap; echo's default
//     HTTPErrorHandler ignores it because the response is committed, and
//     a custom one must do the same.
//   - When the next handler panics, the panic unwinds through mw, so a
//     recovering middleware such as envelope.Recover answers it; a panic
//     nothing in mw recovers goes on to echo's Recover middleware, with
//     c.Response() restored.
//
// mw must call next, if at all, before it returns and on the goroutine it
// was called on, as every gatehouse middleware does: a call after mw has
// returned is ignored, and a second call does nothing. mw must not write
// a response and then call next; Wrap treats a response that is committed
// when next is called as a refusal and calls nothing more. mw must pass
// next a request derived from the one it got (r.WithContext(ctx) with ctx
// derived from r.Context(), as all middleware do): Wrap finds the echo
// context through that context, and answers a request whose context does
// not derive from it with a 500 in the envelope.
//
// A nil mw, or one that returns a nil handler, makes echo middleware that
// answers every request with a 500 ([envelope.ErrInternal]).
func Wrap(mw func(http.Handler) http.Handler) echo.MiddlewareFunc {
	var h http.Handler
	if mw != nil {
		h = mw(http.HandlerFunc(proceed))
	}
	if h == nil {
		return func(echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				envelope.Write(c.Response(), c.Request(), envelope.ErrInternal)
				return nil
			}
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request() == nil { // a test context without a request
				envelope.Write(c.Response(), nil, envelope.ErrInternal)
				return nil
			}
			s := &call{Context: c.Request().Context(), c: c, next: next, res: c.Response()}
			func() {
				defer func() { s.returned = true }()
				h.ServeHTTP(s.res, c.Request().WithContext(s))
			}()
			return s.err
		}
	}
}

// A call is one request's pass through a wrapped middleware. It is also
// the context of the request the middleware is given, which is how
// proceed, called with only a ResponseWriter and a request, finds the echo
// context and the next handler.
type call struct {
	context.Context
	c        echo.Context
	next     echo.HandlerFunc
	res      *echo.Response // c.Response() when the middleware was entered
	err      error          // what next returned
	called   bool           // the middleware called next
	returned bool           // the middleware returned
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

// proceed is the next handler of every wrapped middleware: it calls the
// next echo handler with the request and writer the middleware passed on.
func proceed(w http.ResponseWriter, r *http.Request) {
	s, _ := r.Context().Value(callKey{}).(*call)
	if s == nil {
		// Not a request derived from the one Wrap handed the middleware:
		// the echo context it belongs to is unknown, so nothing runs.
		envelope.Write(w, r, envelope.ErrInternal)
		return
	}
	if s.called || s.returned {
		return
	}
	s.called = true
	if s.res.Committed {
		// The middleware answered, then called next: a handler's output
		// would follow its answer. The request counts as refused.
		return
	}
	c := s.c
	c.SetRequest(r)
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
		c.Set(principalKey, p) // read-only: Principal hands out copies
	} else if c.Get(principalKey) != nil {
		c.Set(principalKey, nil)
	}
	if same(w, s.res) {
		s.err = s.next(c)
		return
	}
	res := echo.NewResponse(w, c.Echo())
	c.SetResponse(res)
	defer c.SetResponse(s.res)
	s.err = s.next(c)
	if s.err != nil && !res.Committed {
		c.Error(s.err)
	}
}

// same reports whether w is the response res.
func same(w http.ResponseWriter, res *echo.Response) bool {
	r, ok := w.(*echo.Response)
	return ok && r == res
}
