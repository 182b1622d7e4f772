package bench

import (
	"net/http"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// expect is what a contender must answer before its benchmark may run.
type expect int

const (
	pass   expect = iota // 2xx: the request reached the 204 handler
	refuse               // 4xx: the middleware stopped it
)

func (e expect) ok(code int) bool {
	if e == pass {
		return code >= 200 && code < 300
	}
	return code >= 400 && code < 500
}

// serve checks that h answers req as e says, then measures h.ServeHTTP on
// req alone: one request, one reusable writer, no network.
func serve(b *testing.B, h http.Handler, req *http.Request, e expect) {
	b.Helper()
	w := fixture.NewWriter()
	h.ServeHTTP(w, req)
	if !e.ok(w.Code) {
		b.Fatalf("status %d, want %s", w.Code, map[expect]string{pass: "2xx", refuse: "4xx"}[e])
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		h.ServeHTTP(w, req)
	}
	if !e.ok(w.Code) {
		b.Fatalf("status %d in the loop", w.Code)
	}
}

// must fails b when err is not nil and returns h otherwise.
func must(b *testing.B, h http.Handler, err error) http.Handler {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	return h
}
