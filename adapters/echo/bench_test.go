package gatehouseecho_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-go/gatehouse"
	gatehouseecho "github.com/gatehouse-go/gatehouse/adapters/echo"
)

// BenchmarkWrap measures what Wrap adds to an echo request, around a
// middleware that does nothing but admit (adding a Principal), refuse, or
// wrap the writer, against a plain echo middleware that calls next.
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
	for name, mw := range map[string]echo.MiddlewareFunc{
		"echo-next": func(next echo.HandlerFunc) echo.HandlerFunc { return next },
		"admit":     gatehouseecho.Wrap(admit),
		"refuse":    gatehouseecho.Wrap(refuse),
		"wrap":      gatehouseecho.Wrap(recordingMiddleware(&rw)),
	} {
		b.Run(name, func(b *testing.B) {
			e := echo.New()
			e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, mw)
			req := httptest.NewRequest("GET", "/", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
			}
		})
	}
}
