package gatehousegin_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
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

// TestWritesGoThroughTheMiddlewaresWriter: gin's c.JSON, c.String and
// c.Status after a wrapping middleware go through its writer, the status
// held until the body as gin does (so headers set after c.Status are
// sent), and c.Writer is gin's own again once the chain has returned.
func TestWritesGoThroughTheMiddlewaresWriter(t *testing.T) {
	var rw *recording
	var inner, outer gin.ResponseWriter
	e := gin.New()
	e.Use(func(c *gin.Context) { outer = c.Writer; c.Next(); assert.Same(t, outer, c.Writer) })
	e.GET("/", gatehousegin.Wrap(recordingMiddleware(&rw)), func(c *gin.Context) {
		inner = c.Writer
		c.Status(http.StatusCreated)
		assert.Equal(t, http.StatusCreated, c.Writer.Status())
		assert.False(t, c.Writer.Written())
		c.Header("X-After-Status", "sent")
		c.JSON(http.StatusCreated, gin.H{"id": 7})
		assert.True(t, c.Writer.Written())
		assert.Equal(t, len(`{"id":7}`), c.Writer.Size())
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/", ""))

	require.NotNil(t, rw)
	assert.NotSame(t, outer, inner, "the handler wrote through an adapter")
	assert.Equal(t, http.StatusCreated, rw.status, "the status went through the middleware's writer")
	assert.Equal(t, `{"id":7}`, rw.body.String(), "the body went through the middleware's writer")
	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, "sent", rec.Header().Get("X-After-Status"))
	assert.Equal(t, `{"id":7}`, rec.Body.String())
}

// TestBodylessStatusGoesThrough: c.AbortWithStatus and a bodyless c.Status
// reach the middleware's writer too.
func TestBodylessStatusGoesThrough(t *testing.T) {
	var rw *recording
	e := gin.New()
	e.GET("/abort", gatehousegin.Wrap(recordingMiddleware(&rw)), func(c *gin.Context) { c.AbortWithStatus(http.StatusUnauthorized) })
	e.GET("/nocontent", gatehousegin.Wrap(recordingMiddleware(&rw)), func(c *gin.Context) { c.Status(http.StatusNoContent) })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/abort", ""))
	assert.Equal(t, http.StatusUnauthorized, rw.status)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, request("GET", "/nocontent", ""))
	assert.Equal(t, http.StatusNoContent, rw.status, "a status set and never written is sent when the chain returns")
	assert.Equal(t, http.StatusNoContent, rec.Code)
}

// TestFailureThrottleCountsGinAnswers: ratelimit.FailureThrottle counts a
// failure when the handler it guards answers 401, which it learns from its
// writer; a gin login handler behind Wrap is counted, so the guard locks
// out after Max failures instead of taking every attempt back.
func TestFailureThrottleCountsGinAnswers(t *testing.T) {
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 2, Window: time.Minute})
	require.NoError(t, err)
	checked := 0
	e := gin.New()
	e.POST("/login", gatehousegin.Wrap(throttle.Middleware), func(c *gin.Context) {
		checked++
		c.JSON(http.StatusUnauthorized, gin.H{"error": "bad password"})
	})
	var codes []int
	for range 4 {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
		codes = append(codes, rec.Code)
	}
	assert.Equal(t, []int{401, 401, 429, 429}, codes)
	assert.Equal(t, 2, checked, "the password check ran Max times")
}

// TestFlushAndHijackThroughAdapter: on a real loopback server, a handler
// behind a wrapping middleware can flush a streamed response and hijack
// the connection.
func TestFlushAndHijackThroughAdapter(t *testing.T) {
	var rw *recording
	e := gin.New()
	e.GET("/stream", gatehousegin.Wrap(recordingMiddleware(&rw)), func(c *gin.Context) {
		c.Header("Content-Type", "text/plain")
		_, _ = c.Writer.WriteString("first ")
		c.Writer.Flush()
		_, _ = c.Writer.WriteString("second")
	})
	e.GET("/hijack", gatehousegin.Wrap(recordingMiddleware(&rw)), func(c *gin.Context) {
		conn, buf, err := c.Writer.Hijack()
		if !assert.NoError(t, err) {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = buf.Flush()
	})
	srv := httptest.NewServer(e)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/stream")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "first second", string(body))
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding, "the flush sent the header before the end")
	assert.Equal(t, "first second", rw.body.String())

	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Write([]byte("GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hijacked", string(body))
}
