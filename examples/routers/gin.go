package routers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Gin adapts a func(http.Handler) http.Handler middleware to gin. The
// middleware runs with gin's ResponseWriter and Request; when it calls its
// next handler, the (possibly enriched) request — with the Principal or the
// client address in its context — becomes c.Request and the gin chain goes
// on with c.Next. When it does not call next (it has rejected the request
// and written the error), the gin chain is aborted. If the middleware wraps
// the ResponseWriter, downstream gin handlers write through its wrapper.
func Gin(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		called := false
		orig := c.Writer
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			c.Request = r
			if w != http.ResponseWriter(orig) {
				c.Writer = &wrappedWriter{ResponseWriter: orig, w: w}
			}
			c.Next()
			c.Writer = orig
		})).ServeHTTP(orig, c.Request)
		if !called {
			c.Abort()
		}
	}
}

// wrappedWriter routes the writes of downstream gin handlers through the
// ResponseWriter a middleware passed on, keeping gin's writer for the rest.
type wrappedWriter struct {
	gin.ResponseWriter
	w http.ResponseWriter
}

func (ww *wrappedWriter) Header() http.Header         { return ww.w.Header() }
func (ww *wrappedWriter) WriteHeader(code int)        { ww.w.WriteHeader(code) }
func (ww *wrappedWriter) Write(p []byte) (int, error) { return ww.w.Write(p) }
func (ww *wrappedWriter) WriteString(s string) (int, error) {
	return ww.w.Write([]byte(s))
}

// GinEngine serves the API on gin through the [Gin] adapter.
func GinEngine(g Guards) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	api := e.Group("/api/v1", Gin(g.Auth))
	api.GET("/whoami", gin.WrapF(Whoami))
	api.GET("/orders", Gin(g.ReadOrders), gin.WrapF(Orders))
	return e
}
