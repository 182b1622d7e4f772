package gatehouseecho_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// recording wraps the writer it is given, as envelope.Recover and
// ratelimit.FailureThrottle do, and records what goes through it.
type recording struct {
	http.ResponseWriter
	status int
	body   strings.Builder
}

func (r *recording) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recording) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
func (r *recording) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func recordingMiddleware(into **recording) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := &recording{ResponseWriter: w}
			*into = rw
			next.ServeHTTP(rw, r)
		})
	}
}

// TestWritesGoThroughTheMiddlewaresWriter: c.JSON after a wrapping
// middleware goes through its writer; the echo middleware before Wrap get
// their own c.Response() back, committed with the handler's status.
func TestWritesGoThroughTheMiddlewaresWriter(t *testing.T) {
	var rw *recording
	var inner, outer *echo.Response
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			outer = c.Response()
			err := next(c)
			assert.Same(t, outer, c.Response(), "c.Response() is restored")
			assert.True(t, outer.Committed)
			assert.Equal(t, http.StatusCreated, outer.Status)
			return err
		}
	})
	e.GET("/", func(c echo.Context) error {
		inner = c.Response()
		return c.JSON(http.StatusCreated, map[string]int{"id": 7})
	}, gatehouseecho.Wrap(recordingMiddleware(&rw)))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))

	require.NotNil(t, rw)
	assert.NotSame(t, outer, inner, "the handler wrote through a response of its own")
	assert.Equal(t, http.StatusCreated, rw.status, "the status went through the middleware's writer")
	assert.JSONEq(t, `{"id":7}`, rw.body.String(), "the body went through the middleware's writer")
	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.JSONEq(t, `{"id":7}`, rec.Body.String())
}

// TestHandlerErrorAnsweredThroughTheWriter: an error the handler returns
// is answered by the HTTPErrorHandler through the middleware's writer,
// once, and still returned up the chain.
func TestHandlerErrorAnsweredThroughTheWriter(t *testing.T) {
	var rw *recording
	var seen error
	errs := 0
	e := newEcho(&errs)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { seen = next(c); return seen }
	})
	e.GET("/", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "busy") },
		gatehouseecho.Wrap(recordingMiddleware(&rw)))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))
	assert.Equal(t, http.StatusConflict, rw.status)
	assert.JSONEq(t, `{"message":"busy"}`, rw.body.String())
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.JSONEq(t, `{"message":"busy"}`, rec.Body.String(), "answered once")
	assert.Error(t, seen)
	assert.Equal(t, 2, errs, "called inside Wrap, then by echo for the returned error (which it ignores: committed)")
}

// TestFailureThrottleCountsEchoErrors: ratelimit.FailureThrottle counts a
// failure when the handler it guards answers 401, which it learns from its
// writer. An echo login handler that returns echo.ErrUnauthorized is
// counted behind Wrap, so the guard locks out after Max failures. Behind
// echo.WrapMiddleware the error is answered after the throttle has
// returned, every attempt is taken back, and the guard never locks.
func TestFailureThrottleCountsEchoErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		wrap  func(func(http.Handler) http.Handler) echo.MiddlewareFunc
		codes []int
	}{
		"gatehouseecho.Wrap":  {gatehouseecho.Wrap, []int{401, 401, 429, 429}},
		"echo.WrapMiddleware": {echo.WrapMiddleware, []int{401, 401, 401, 401}},
	} {
		t.Run(name, func(t *testing.T) {
			throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 2, Window: time.Minute})
			require.NoError(t, err)
			e := echo.New()
			e.POST("/login", func(c echo.Context) error { return echo.ErrUnauthorized }, tc.wrap(throttle.Middleware))
			var codes []int
			for range 4 {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
				codes = append(codes, rec.Code)
			}
			assert.Equal(t, tc.codes, codes)
		})
	}
}

// TestFlushThroughTheMiddlewaresWriter: on a real loopback server, a
// handler behind a wrapping middleware streams with c.Response().Flush.
func TestFlushThroughTheMiddlewaresWriter(t *testing.T) {
	var rw *recording
	e := echo.New()
	e.GET("/stream", func(c echo.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(c.Response(), "first ")
		c.Response().Flush()
		_, err := io.WriteString(c.Response(), "second")
		return err
	}, gatehouseecho.Wrap(recordingMiddleware(&rw)))
	srv := httptest.NewServer(e)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/stream")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "first second", string(body))
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding, "the flush sent the header before the end")
	assert.Equal(t, "first second", rw.body.String())
}
