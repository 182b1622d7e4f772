package gatehousegin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-go/gatehouse"
	gatehousegin "github.com/gatehouse-go/gatehouse/adapters/gin"
)

// BenchmarkWrap measures what Wrap adds to a gin request, around a
// middleware that does nothing but admit (adding a Principal), refuse, or
// wrap the writer, against a plain gin middleware that calls c.Next.
func BenchmarkWrap(b *testing.B) {
	admit := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{Subject: "alice"})))
		})
	}
	refuse := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	}
	var rw *recording
	for name, mw := range map[string]gin.HandlerFunc{
		"gin-next": func(c *gin.Context) { c.Next() },
		"admit":    gatehousegin.Wrap(admit),
		"refuse":   gatehousegin.Wrap(refuse),
		"wrap":     gatehousegin.Wrap(recordingMiddleware(&rw)),
	} {
		b.Run(name, func(b *testing.B) {
			e := gin.New()
			e.GET("/", mw, func(c *gin.Context) { c.Status(http.StatusNoContent) })
			req := httptest.NewRequest("GET", "/", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
			}
		})
	}
}
