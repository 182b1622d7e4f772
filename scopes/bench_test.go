package scopes

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse"
)

// nopWriter is a ResponseWriter that costs nothing, so the benchmarks
// measure the middleware rather than the recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var bare = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func benchRequest(scopes ...string) *http.Request {
	r := httptest.NewRequest("GET", "/products", nil)
	return r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{
		Subject: "u", Method: gatehouse.MethodOpaque, TokenID: "t",
		Scopes: scopes,
	}))
}

var fullScopes = []string{
	"products:read", "products:write", "orders:read", "orders:write", "customers:read",
	"customers:write", "analytics:read", "webhooks:read", "webhooks:write", "settings:read",
}

func run(b *testing.B, h http.Handler, r *http.Request) {
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// BenchmarkBare is the floor: the handler alone, with the same request.
func BenchmarkBare(b *testing.B) { run(b, bare, benchRequest(fullScopes...)) }

func BenchmarkRequire(b *testing.B) {
	r := benchRequest(fullScopes...)
	b.Run("bare", func(b *testing.B) { run(b, bare, r) })
	b.Run("one", func(b *testing.B) { run(b, Require("settings:read")(bare), r) })
	b.Run("three", func(b *testing.B) {
		run(b, Require("orders:read", "customers:read", "settings:read")(bare), r)
	})
	b.Run("implied", func(b *testing.B) {
		e := must(New(Config{Wildcards: true, Implies: map[string][]string{"settings:write": {"settings:read"}}}))
		run(b, e.Require("settings:read")(bare), benchRequest("orders:read", "settings:write"))
	})
	b.Run("denied", func(b *testing.B) {
		// The decision alone: a denial allocates nothing before rendering.
		e := defaultEnforcer
		q, _ := e.compile(Rule{All: []string{"settings:write"}})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.decide(principalOf(r), q); err == nil {
				b.Fatal("allowed")
			}
		}
	})
}

func BenchmarkAny(b *testing.B) {
	r := benchRequest(fullScopes...)
	b.Run("bare", func(b *testing.B) { run(b, bare, r) })
	b.Run("last", func(b *testing.B) { run(b, Any("admin", "settings:read")(bare), r) })
}

func BenchmarkTable(b *testing.B) {
	e := must(New(Config{Routes: map[string]Rule{
		"GET /products":             {All: []string{"products:read"}},
		"POST /products":            {All: []string{"products:write"}},
		"GET /orders":               {All: []string{"orders:read"}},
		"POST /orders/{id}/fulfill": {All: []string{"orders:write"}},
		"GET /settings":             {All: []string{"settings:read"}},
	}}))
	r := benchRequest(fullScopes...)
	b.Run("bare", func(b *testing.B) { run(b, bare, r) })
	b.Run("table", func(b *testing.B) { run(b, e.Middleware(bare), r) })
	// An unlisted path let through by AllowUnlisted: the mux answers
	// without a route of the table.
	open := must(New(Config{AllowUnlisted: true, Routes: map[string]Rule{
		"GET /products": {All: []string{"products:read"}},
		"GET /admin/":   {All: []string{"admin"}},
	}}))
	ru := benchRequest(fullScopes...)
	ru.URL.Path = "/health"
	b.Run("unlisted", func(b *testing.B) { run(b, open.Middleware(bare), ru) })
}
