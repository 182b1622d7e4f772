package routers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/examples/routers"
)

type countingWriter struct {
	http.ResponseWriter
	status *int
}

func (c countingWriter) WriteHeader(code int) { *c.status = code; c.ResponseWriter.WriteHeader(code) }

func TestGinAdapter(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var seen int
	observe := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(countingWriter{w, &seen}, r)
		})
	}
	reject := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	}
	e := gin.New()
	e.GET("/observed", routers.Gin(observe), func(c *gin.Context) { c.Status(http.StatusAccepted) })
	reached := false
	e.GET("/rejected", routers.Gin(reject), func(c *gin.Context) { reached = true })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/observed", nil))
	assert.Equal(t, http.StatusAccepted, rec.Code)
	assert.Equal(t, http.StatusAccepted, seen, "downstream writes go through the middleware's writer")

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/rejected", nil))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.False(t, reached, "a rejection aborts the gin chain")
}
