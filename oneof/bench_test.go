package oneof_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

type noop struct{}

func (noop) ServeHTTP(http.ResponseWriter, *http.Request) {}

// BenchmarkSelector measures a request with a cached JWT, through the
// Selector and through the bearer Middleware alone: the difference is the
// cost of choosing.
func BenchmarkSelector(b *testing.B) {
	f := newFixture(b)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bearer_alone", f.jwt.Middleware(noop{})},
		{"selector_jwt", f.selector.Middleware(noop{})},
		{"selector_apikey", f.selector.Middleware(noop{})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := request(f.token, "")
			if bc.name == "selector_apikey" {
				r = request("", f.key)
			}
			w := httptest.NewRecorder()
			bc.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
