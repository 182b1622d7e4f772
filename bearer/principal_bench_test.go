package bearer

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// BenchmarkCacheHitPrincipalFrom measures a cache hit whose handler does
// not read the Principal ("none") and one whose handler reads it with
// gatehouse.PrincipalFrom, as most handlers do. It uses only the
// middleware and gatehouse.PrincipalFrom, so the same file runs unchanged
// against any two commits to compare them.
func BenchmarkCacheHitPrincipalFrom(b *testing.B) {
	s := newSigner(b, "HS256", "k1")
	r := bearerRequest(s.sign(b, claimsAt(time.Now()), nil))
	a := benchAuth(b, s)
	var sink gatehouse.Principal
	handlers := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"none", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{"PrincipalFrom", func(w http.ResponseWriter, r *http.Request) {
			sink, _ = gatehouse.PrincipalFrom(r.Context())
			w.WriteHeader(http.StatusNoContent)
		}},
	}
	for _, h := range handlers {
		b.Run(h.name, func(b *testing.B) { run(b, a.Middleware(h.h), r, http.StatusNoContent, nil) })
	}
	_ = sink
}
