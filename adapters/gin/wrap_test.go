package gatehousegin_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func init() { gin.SetMode(gin.TestMode) }

// TestRefusalAbortsTheChain: a refused request never reaches the handler,
// and the response is the middleware's refusal alone — the same status,
// headers and body as on the standard library, nothing appended.
func TestRefusalAbortsTheChain(t *testing.T) {
	auth := newBearer(t)
	reached := 0
	e := gin.New()
	e.GET("/orders", gatehousegin.Wrap(auth.Middleware), func(c *gin.Context) {
		reached++
		c.String(http.StatusOK, "orders")
	})

	for name, token := range map[string]string{
		"no token":     "",
		"wrong key":    sign(t, []byte("another-secret-another-secret-32"), "mallory", "orders:read"),
		"not a token":  "not-a-jwt",
		"wrong scheme": "",
	} {
		t.Run(name, func(t *testing.T) {
			req := request("GET", "/orders", token)
			if name == "wrong scheme" {
				req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)

			want := reference(auth.Middleware, req)
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, want.Code, rec.Code)
			assert.Equal(t, want.Body.String(), rec.Body.String(), "the body is the refusal envelope, nothing appended")
			assert.Contains(t, rec.Body.String(), `"code":"UNAUTHORIZED"`)
			assert.Equal(t, want.Header().Get("WWW-Authenticate"), rec.Header().Get("WWW-Authenticate"))
			assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `Bearer realm="api"`)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, 0, reached, "the protected handler never ran")
		})
	}
}

// TestRefusalWithTestContext drives the wrapped middleware alone with
// gin.CreateTestContext: a refusal aborts, an admission does not.
func TestRefusalWithTestContext(t *testing.T) {
	auth := newBearer(t)
	mw := gatehousegin.Wrap(auth.Middleware)

	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = request("GET", "/orders", "")
	mw(c)
	assert.True(t, c.IsAborted(), "a refusal aborts the chain")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	_, ok := gatehousegin.Principal(c)
	assert.False(t, ok)
	_, ok = gatehouse.PrincipalFrom(c.Request.Context())
	assert.False(t, ok)

	rec = httptest.NewRecorder()
	c, _ = gin.CreateTestContext(rec)
	c.Request = request("GET", "/orders", sign(t, secret, "reader", "profile"))
	mw(c)
	assert.False(t, c.IsAborted(), "an admitted request goes on")
	p, ok := gatehousegin.Principal(c)
	require.True(t, ok)
	assert.Equal(t, "reader", p.Subject)
}

// TestPrincipalVisible: an admitted request reaches the handler with its
// Principal in c.Request.Context() and in the gin context.
func TestPrincipalVisible(t *testing.T) {
	auth := newBearer(t)
	e := gin.New()
	var fromRequest, fromGin gatehouse.Principal
	var okRequest, okGin bool
	e.GET("/whoami", gatehousegin.Wrap(auth.Middleware), func(c *gin.Context) {
		fromRequest, okRequest = gatehouse.PrincipalFrom(c.Request.Context())
		fromGin, okGin = gatehousegin.Principal(c)
		c.JSON(http.StatusOK, gin.H{"subject": fromGin.Subject})
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/whoami", sign(t, secret, "reader", "profile orders:read")))

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"subject":"reader"}`, rec.Body.String())
	require.True(t, okRequest)
	require.True(t, okGin)
	assert.Equal(t, "reader", fromRequest.Subject)
	assert.Equal(t, gatehouse.MethodJWT, fromRequest.Method)
	assert.Equal(t, []string{"profile", "orders:read"}, fromRequest.Scopes)
	assert.Equal(t, fromRequest.Subject, fromGin.Subject)
	assert.Equal(t, fromRequest.Scopes, fromGin.Scopes)
	assert.Equal(t, fromRequest.TokenID, fromGin.TokenID)
}

// TestPrincipalScopesAreOwnCopies: changing the Scopes Principal returned
// changes nothing the next caller sees.
func TestPrincipalScopesAreOwnCopies(t *testing.T) {
	auth := newBearer(t)
	e := gin.New()
	var second []string
	e.GET("/", gatehousegin.Wrap(auth.Middleware), func(c *gin.Context) {
		p, _ := gatehousegin.Principal(c)
		p.Scopes[0] = "admin"
		q, _ := gatehousegin.Principal(c)
		second = q.Scopes
	})
	e.ServeHTTP(httptest.NewRecorder(), request("GET", "/", sign(t, secret, "reader", "profile")))
	assert.Equal(t, []string{"profile"}, second)
}

// TestSecondOfTwoRefuses: bearer admits, scopes refuses; the handler
// never runs and the 403 is the scopes middleware's, as on the standard
// library.
func TestSecondOfTwoRefuses(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	reached := 0
	handler := func(c *gin.Context) { reached++; c.String(http.StatusOK, "orders") }

	e := gin.New()
	e.GET("/two", gatehousegin.Wrap(auth.Middleware), gatehousegin.Wrap(enf.Require("orders:read")), handler)
	e.GET("/chain", gatehousegin.Wrap(gatehouse.Chain(auth.Middleware, enf.Require("orders:read"))), handler)
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

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/two", sign(t, secret, "clerk", "orders:read")))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "orders", rec.Body.String())
	assert.Equal(t, 1, reached)
}

// TestOuterMiddlewareSeesTheOutcome: gin middleware before Wrap see
// c.IsAborted after a refusal, not after an admission, and the enriched
// request after the chain.
func TestOuterMiddlewareSeesTheOutcome(t *testing.T) {
	auth := newBearer(t)
	var aborted bool
	var subject string
	e := gin.New()
	e.Use(func(c *gin.Context) {
		c.Next()
		aborted = c.IsAborted()
		p, _ := gatehouse.PrincipalFrom(c.Request.Context())
		subject = p.Subject
	})
	e.GET("/", gatehousegin.Wrap(auth.Middleware), func(c *gin.Context) { c.Status(http.StatusNoContent) })

	e.ServeHTTP(httptest.NewRecorder(), request("GET", "/", ""))
	assert.True(t, aborted)
	assert.Empty(t, subject)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", sign(t, secret, "reader", "")))
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.False(t, aborted)
	assert.Equal(t, "reader", subject)
}

// TestHandlerAbortIsKept: a handler after Wrap that aborts leaves the
// chain aborted, and the handlers after it do not run.
func TestHandlerAbortIsKept(t *testing.T) {
	auth := newBearer(t)
	after := 0
	e := gin.New()
	e.GET("/", gatehousegin.Wrap(auth.Middleware),
		func(c *gin.Context) { c.AbortWithStatusJSON(http.StatusConflict, gin.H{"error": "busy"}) },
		func(c *gin.Context) { after++ })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", sign(t, secret, "reader", "")))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.JSONEq(t, `{"error":"busy"}`, rec.Body.String())
	assert.Equal(t, 0, after)
}

// TestRouteGroups: the wrapped middleware guards a group; a nested group
// adds a scope check; an unguarded route stays open.
func TestRouteGroups(t *testing.T) {
	auth, enf := newBearer(t), newScopes(t)
	e := gin.New()
	e.GET("/health", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	api := e.Group("/api/v1", gatehousegin.Wrap(auth.Middleware))
	api.GET("/whoami", func(c *gin.Context) {
		p, _ := gatehousegin.Principal(c)
		c.String(http.StatusOK, p.Subject)
	})
	admin := api.Group("/admin", gatehousegin.Wrap(enf.Require("admin")))
	admin.GET("/users", func(c *gin.Context) { c.String(http.StatusOK, "users") })

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

// TestRecoverWrapped: envelope.Recover and envelope.Use, each wrapped,
// answer a panic of a gin handler after them with the 500 of the chosen
// style, as on the standard library; the handlers after the panicking one
// do not run.
func TestRecoverWrapped(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	after := 0
	e := gin.New()
	e.Use(gatehousegin.Wrap(envelope.Recover(logger)), gatehousegin.Wrap(envelope.Use(envelope.Flat)))
	e.GET("/boom", func(c *gin.Context) { panic("boom") }, func(c *gin.Context) { after++ })

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
	assert.Equal(t, 0, after, "no handler after the panicking one runs")
}

// TestRecoverSeesHandlerWrites: the writes of gin handlers go through
// Recover's writer, so a panic after the response started is answered by
// aborting it (http.ErrAbortHandler) rather than by a 500 written after
// the handler's bytes.
func TestRecoverSeesHandlerWrites(t *testing.T) {
	e := gin.New()
	e.Use(gatehousegin.Wrap(envelope.Recover(slog.New(slog.DiscardHandler))))
	e.GET("/", func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		panic("late")
	})
	var got any
	func() {
		defer func() { got = recover() }()
		e.ServeHTTP(httptest.NewRecorder(), request("GET", "/", ""))
	}()
	assert.Equal(t, http.ErrAbortHandler, got)
}

// TestGinRecoverySeesPanics: a panic that no gatehouse middleware
// recovers, in the middleware itself or in a handler after it, reaches
// gin's Recovery, which answers 500 with gin's own writer.
func TestGinRecoverySeesPanics(t *testing.T) {
	auth := newBearer(t)
	e := gin.New()
	e.Use(gin.CustomRecoveryWithWriter(&bytes.Buffer{}, func(c *gin.Context, err any) {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"recovered": err})
	}))
	e.GET("/handler", gatehousegin.Wrap(auth.Middleware), func(c *gin.Context) { panic("in handler") })
	e.GET("/middleware", gatehousegin.Wrap(func(http.Handler) http.Handler {
		return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("in middleware") })
	}), func(c *gin.Context) { t.Error("the handler ran") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/handler", sign(t, secret, "reader", "")))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"recovered":"in handler"}`, rec.Body.String())

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/middleware", ""))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"recovered":"in middleware"}`, rec.Body.String())
}

// TestAnswerThenNextIsRefused: a middleware that writes an answer and
// then calls next gets its answer sent alone; the chain is aborted.
func TestAnswerThenNextIsRefused(t *testing.T) {
	for name, answer := range map[string]func(w http.ResponseWriter){
		"body":   func(w http.ResponseWriter) { _, _ = w.Write([]byte("answered")) },
		"status": func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) },
		// 200 is gin's default status: only the writer Wrap hands the
		// middleware can tell it was given.
		"status 200": func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
		"flush":      func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
	} {
		t.Run(name, func(t *testing.T) {
			reached := 0
			e := gin.New()
			e.GET("/", gatehousegin.Wrap(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					answer(w)
					next.ServeHTTP(w, r)
				})
			}), func(c *gin.Context) { reached++; c.String(http.StatusOK, "handler") })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, request("GET", "/", ""))
			assert.Equal(t, 0, reached)
			assert.NotContains(t, rec.Body.String(), "handler")
		})
	}
}

// TestNextRunsTheChainOnce: a middleware calling next twice runs the gin
// chain once.
func TestNextRunsTheChainOnce(t *testing.T) {
	reached := 0
	e := gin.New()
	e.GET("/", gatehousegin.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			next.ServeHTTP(w, r)
		})
	}), func(c *gin.Context) { reached++; c.String(http.StatusOK, "once") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))
	assert.Equal(t, 1, reached)
	assert.Equal(t, "once", rec.Body.String())
}

// TestForeignRequestIsRefused: a middleware that passes on a request not
// derived from its own gets a 500, and the chain does not run.
func TestForeignRequestIsRefused(t *testing.T) {
	reached := 0
	e := gin.New()
	e.GET("/", gatehousegin.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.Background()))
		})
	}), func(c *gin.Context) { reached++ })
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
			e := gin.New()
			e.GET("/", gatehousegin.Wrap(mw), func(c *gin.Context) { reached++ })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, request("GET", "/", ""))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Contains(t, rec.Body.String(), `"code":"INTERNAL_ERROR"`)
			assert.Equal(t, 0, reached)
		})
	}
}

// TestMiddlewareBuiltOnce: the middleware is given its next handler once,
// so state it keeps per handler lasts across requests.
func TestMiddlewareBuiltOnce(t *testing.T) {
	built, served := 0, 0
	mw := gatehousegin.Wrap(func(next http.Handler) http.Handler {
		built++
		count := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			count++
			served = count
			next.ServeHTTP(w, r)
		})
	})
	e := gin.New()
	e.GET("/", mw, func(c *gin.Context) {})
	for range 3 {
		e.ServeHTTP(httptest.NewRecorder(), request("GET", "/", ""))
	}
	assert.Equal(t, 1, built)
	assert.Equal(t, 3, served)
}

// TestNoRequest: a test context without a request is refused with a 500,
// not a panic.
func TestNoRequest(t *testing.T) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	gatehousegin.Wrap(newBearer(t).Middleware)(c)
	assert.True(t, c.IsAborted())
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"INTERNAL_ERROR"`)
}
