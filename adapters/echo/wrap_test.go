package gatehouseecho_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// newEcho returns an echo instance whose HTTPErrorHandler counts its
// calls into *errs before answering as echo's default does.
func newEcho(errs *int) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		*errs++
		e.DefaultHTTPErrorHandler(err, c)
	}
	return e
}

// TestRefusalNeverCallsNext: a refused request never reaches the handler,
// echo's error handler is not called, and the response is the
// middleware's refusal alone — the same status, headers and body as on
// the standard library.
func TestRefusalNeverCallsNext(t *testing.T) {
	auth := newBearer(t)
	reached, errs := 0, 0
	e := newEcho(&errs)
	e.GET("/orders", func(c echo.Context) error {
		reached++
		return c.String(http.StatusOK, "orders")
	}, gatehouseecho.Wrap(auth.Middleware))

	for name, header := range map[string]string{
		"no token":     "",
		"wrong key":    "Bearer " + sign(t, []byte("another-secret-another-secret-32"), "mallory", "orders:read"),
		"not a token":  "Bearer not-a-jwt",
		"wrong scheme": "Basic dXNlcjpwYXNz",
	} {
		t.Run(name, func(t *testing.T) {
			req := request("GET", "/orders", "")
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)

			want := reference(auth.Middleware, req)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, want.Body.String(), rec.Body.String(), "the body is the refusal envelope, nothing appended")
			assert.Contains(t, rec.Body.String(), `"code":"UNAUTHORIZED"`)
			assert.Equal(t, want.Header().Get("WWW-Authenticate"), rec.Header().Get("WWW-Authenticate"))
			assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `Bearer realm="api"`)
			assert.Equal(t, 0, reached, "the protected handler never ran")
			assert.Equal(t, 0, errs, "echo's error handler was not called")
		})
	}
}

// TestRefusalWithNewContext drives the wrapped middleware alone on a
// context from e.NewContext.
func TestRefusalWithNewContext(t *testing.T) {
	auth := newBearer(t)
	e := echo.New()
	called := 0
	h := gatehouseecho.Wrap(auth.Middleware)(func(c echo.Context) error { called++; return errors.New("never") })

	rec := httptest.NewRecorder()
	c := e.NewContext(request("GET", "/", ""), rec)
	require.NoError(t, h(c), "a refusal is no error for echo")
	assert.Equal(t, 0, called)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.True(t, c.Response().Committed)
	_, ok := gatehouseecho.Principal(c)
	assert.False(t, ok)

	rec = httptest.NewRecorder()
	c = e.NewContext(request("GET", "/", sign(t, secret, "reader", "profile")), rec)
	assert.EqualError(t, h(c), "never", "the handler's error is returned")
	assert.Equal(t, 1, called)
	p, ok := gatehouseecho.Principal(c)
	require.True(t, ok)
	assert.Equal(t, "reader", p.Subject)
}

// TestPrincipalVisible: an admitted request reaches the handler with its
// Principal in c.Request().Context() and in the echo context.
func TestPrincipalVisible(t *testing.T) {
	auth := newBearer(t)
	errs := 0
	e := newEcho(&errs)
	var fromRequest, fromEcho gatehouse.Principal
	var okRequest, okEcho bool
	var again []string
	e.GET("/whoami", func(c echo.Context) error {
		fromRequest, okRequest = gatehouse.PrincipalFrom(c.Request().Context())
		fromEcho, okEcho = gatehouseecho.Principal(c)
		mine, _ := gatehouseecho.Principal(c)
		mine.Scopes[0] = "admin"
		p, _ := gatehouseecho.Principal(c)
		again = p.Scopes
		return c.JSON(http.StatusOK, map[string]string{"subject": fromEcho.Subject})
	}, gatehouseecho.Wrap(auth.Middleware))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/whoami", sign(t, secret, "reader", "profile orders:read")))

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"subject":"reader"}`, rec.Body.String())
	require.True(t, okRequest)
	require.True(t, okEcho)
	assert.Equal(t, "reader", fromRequest.Subject)
	assert.Equal(t, gatehouse.MethodJWT, fromRequest.Method)
	assert.Equal(t, []string{"profile", "orders:read"}, fromRequest.Scopes)
	assert.Equal(t, fromRequest.Subject, fromEcho.Subject)
	assert.Equal(t, fromRequest.Scopes, fromEcho.Scopes)
	assert.Equal(t, fromRequest.TokenID, fromEcho.TokenID)
	assert.Equal(t, []string{"profile", "orders:read"}, again, "each caller has its own Scopes")
}

// TestSecondOfTwoRefuses: bearer admits, scopes refuses; the handler never
// runs and the 403 is the scopes middleware's, as on the standard
// library, whether the two are wrapped one by one or as one Chain.
func TestSecondOfTwoRefuses(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	reached, errs := 0, 0
	handler := func(c echo.Context) error { reached++; return c.String(http.StatusOK, "orders") }

	e := newEcho(&errs)
	e.GET("/two", handler, gatehouseecho.Wrap(auth.Middleware), gatehouseecho.Wrap(enf.Require("orders:read")))
	e.GET("/chain", handler, gatehouseecho.Wrap(gatehouse.Chain(auth.Middleware, enf.Require("orders:read"))))
	token := sign(t, secret, "reader", "profile")
	want := reference(gatehouse.Chain(auth.Middleware, enf.Require("orders:read")), request("GET", "/", token))
	require.Equal(t, http.StatusForbidden, want.Code)

	for _, path := range []string{"/two", "/chain"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, request("GET", path, token))
		assert.Equal(t, http.StatusForbidden, rec.Code, path)
		assert.Equal(t, want.Body.String(), rec.Body.String(), path)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`, path)
		assert.Equal(t, want.Header().Get("WWW-Authenticate"), rec.Header().Get("WWW-Authenticate"), path)
	}
	assert.Equal(t, 0, reached)
	assert.Equal(t, 0, errs)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/two", sign(t, secret, "clerk", "orders:read")))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "orders", rec.Body.String())
	assert.Equal(t, 1, reached)
}

// TestHandlerErrorsGoUp: without a writer of the middleware's own, an
// error of the handler goes up the echo chain to the HTTPErrorHandler, as
// it would without Wrap.
func TestHandlerErrorsGoUp(t *testing.T) {
	auth := newBearer(t)
	errs := 0
	var seen error
	e := newEcho(&errs)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { seen = next(c); return seen }
	})
	e.GET("/", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "busy") }, gatehouseecho.Wrap(auth.Middleware))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", sign(t, secret, "reader", "")))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.JSONEq(t, `{"message":"busy"}`, rec.Body.String())
	assert.Equal(t, 1, errs)
	var he *echo.HTTPError
	require.ErrorAs(t, seen, &he)
	assert.Equal(t, http.StatusConflict, he.Code)
}

// TestRouteGroups: the wrapped middleware guards a group; a nested group
// adds a scope check; an unguarded route stays open.
func TestRouteGroups(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	errs := 0
	e := newEcho(&errs)
	e.GET("/health", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	api := e.Group("/api/v1", gatehouseecho.Wrap(auth.Middleware))
	api.GET("/whoami", func(c echo.Context) error {
		p, _ := gatehouseecho.Principal(c)
		return c.String(http.StatusOK, p.Subject)
	})
	admin := api.Group("/admin", gatehouseecho.Wrap(enf.Require("admin")))
	admin.GET("/users", func(c echo.Context) error { return c.String(http.StatusOK, "users") })

	reader, root := sign(t, secret, "reader", "profile"), sign(t, secret, "root", "admin")
	for _, tc := range []struct {
		path, token string
		code        int
		body        string
	}{
		{"/health", "", 200, "ok"},
		{"/api/v1/whoami", "", 401, `"code":"UNAUTHORIZED"`},
		{"/api/v1/whoami", reader, 200, "reader"},
		{"/api/v1/admin/users", "", 401, `"code":"UNAUTHORIZED"`},
		{"/api/v1/admin/users", reader, 403, `"code":"FORBIDDEN"`},
		{"/api/v1/admin/users", root, 200, "users"},
		{"/api/v1/nowhere", "", 401, `"code":"UNAUTHORIZED"`},
		{"/api/v1/nowhere", reader, 404, `"message":"Not Found"`},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, request("GET", tc.path, tc.token))
		assert.Equal(t, tc.code, rec.Code, tc.path)
		if tc.code == 200 {
			assert.Equal(t, tc.body, rec.Body.String(), tc.path)
		} else {
			assert.Contains(t, rec.Body.String(), tc.body, tc.path)
		}
	}
}

// TestRecoverWrapped: envelope.Recover and envelope.Use, each wrapped with
// e.Use, answer a panic of an echo handler with the 500 of the chosen
// style, as on the standard library.
func TestRecoverWrapped(t *testing.T) {
	var logs bytes.Buffer
	errs := 0
	e := newEcho(&errs)
	e.Use(gatehouseecho.Wrap(envelope.Recover(slog.New(slog.NewTextHandler(&logs, nil)))), gatehouseecho.Wrap(envelope.Use(envelope.Flat)))
	e.GET("/boom", func(c echo.Context) error { panic("boom") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/boom", ""))

	want := httptest.NewRecorder()
	gatehouse.Chain(envelope.Recover(slog.New(slog.DiscardHandler)), envelope.Use(envelope.Flat))(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).
		ServeHTTP(want, request("GET", "/boom", ""))

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, want.Body.String(), rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"success":false,"error":"Internal Server Error"`, "the flat style selected by envelope.Use")
	assert.Contains(t, logs.String(), "panic=boom")
	assert.Equal(t, 0, errs)
}

// TestRecoverSeesHandlerWrites: an echo handler's writes go through
// Recover's writer, so a panic after the response started is answered by
// aborting it (http.ErrAbortHandler) rather than by a 500 written after
// the handler's bytes.
func TestRecoverSeesHandlerWrites(t *testing.T) {
	e := echo.New()
	e.Use(gatehouseecho.Wrap(envelope.Recover(slog.New(slog.DiscardHandler))))
	e.GET("/", func(c echo.Context) error {
		_ = c.String(http.StatusOK, "partial")
		panic("late")
	})
	var got any
	func() {
		defer func() { got = recover() }()
		e.ServeHTTP(httptest.NewRecorder(), request("GET", "/", ""))
	}()
	assert.Equal(t, http.ErrAbortHandler, got)
}

// TestEchoRecoverSeesPanics: a panic that no gatehouse middleware
// recovers, in the middleware itself or in the handler after it, reaches
// echo's Recover middleware, which answers 500 on echo's own response.
func TestEchoRecoverSeesPanics(t *testing.T) {
	auth := newBearer(t)
	errs := 0
	e := newEcho(&errs)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true}))
	e.GET("/handler", func(c echo.Context) error { panic("in handler") }, gatehouseecho.Wrap(auth.Middleware))
	e.GET("/middleware", func(c echo.Context) error { t.Error("the handler ran"); return nil },
		gatehouseecho.Wrap(func(http.Handler) http.Handler {
			return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("in middleware") })
		}))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/handler", sign(t, secret, "reader", "")))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/middleware", ""))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, 2, errs, "echo's Recover hands each panic to the error handler")
}

// TestAnswerThenNextIsRefused: a middleware that writes an answer and
// then calls next gets its answer sent alone.
func TestAnswerThenNextIsRefused(t *testing.T) {
	reached, errs := 0, 0
	e := newEcho(&errs)
	e.GET("/", func(c echo.Context) error { reached++; return c.String(http.StatusOK, "handler") },
		gatehouseecho.Wrap(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
				next.ServeHTTP(w, r)
			})
		}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Empty(t, rec.Body.String())
	assert.Equal(t, 0, reached)
	assert.Equal(t, 0, errs)
}

// TestNextRunsTheHandlerOnce: a middleware calling next twice runs the
// echo handler once.
func TestNextRunsTheHandlerOnce(t *testing.T) {
	reached := 0
	e := echo.New()
	e.GET("/", func(c echo.Context) error { reached++; return c.String(http.StatusOK, "once") },
		gatehouseecho.Wrap(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r)
				next.ServeHTTP(w, r)
			})
		}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))
	assert.Equal(t, 1, reached)
	assert.Equal(t, "once", rec.Body.String())
}

// TestForeignRequestIsRefused: a middleware that passes on a request not
// derived from its own gets a 500, and the handler does not run.
func TestForeignRequestIsRefused(t *testing.T) {
	reached := 0
	e := echo.New()
	e.GET("/", func(c echo.Context) error { reached++; return nil },
		gatehouseecho.Wrap(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(context.Background()))
			})
		}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"INTERNAL_ERROR"`)
	assert.Equal(t, 0, reached)
}

// TestNilMiddleware: Wrap(nil), and a middleware returning no handler,
// refuse every request with a 500.
func TestNilMiddleware(t *testing.T) {
	for name, mw := range map[string]func(http.Handler) http.Handler{
		"nil":         nil,
		"nil handler": func(http.Handler) http.Handler { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			reached := 0
			e := echo.New()
			e.GET("/", func(c echo.Context) error { reached++; return nil }, gatehouseecho.Wrap(mw))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, request("GET", "/", ""))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Contains(t, rec.Body.String(), `"code":"INTERNAL_ERROR"`)
			assert.Equal(t, 0, reached)
		})
	}
}

// TestMiddlewareBuiltOnce: echo applies the middleware of e.Use to every
// request anew; the wrapped middleware is still given its next handler
// once, so state it keeps per handler lasts across requests.
func TestMiddlewareBuiltOnce(t *testing.T) {
	built, served := 0, 0
	e := echo.New()
	e.Use(gatehouseecho.Wrap(func(next http.Handler) http.Handler {
		built++
		count := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			count++
			served = count
			next.ServeHTTP(w, r)
		})
	}))
	e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for range 3 {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, request("GET", "/", ""))
		assert.Equal(t, http.StatusNoContent, rec.Code)
	}
	assert.Equal(t, 1, built)
	assert.Equal(t, 3, served)
}

// TestNoRequest: a context without a request is refused with a 500, not a
// panic, and the handler is not called.
func TestNoRequest(t *testing.T) {
	rec := httptest.NewRecorder()
	called := 0
	c := echo.New().NewContext(nil, rec)
	err := gatehouseecho.Wrap(newBearer(t).Middleware)(func(echo.Context) error { called++; return nil })(c)
	require.NoError(t, err)
	assert.Equal(t, 0, called)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"INTERNAL_ERROR"`)
}
