package bearer

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// benchCustom is a typical application claim type: a few strings and a
// slice.
type benchCustom struct {
	Sub    string   `json:"sub"`
	Tenant string   `json:"tenant"`
	Scope  string   `json:"scope"`
	Roles  []string `json:"roles"`
}

// BenchmarkCustom measures, with Config.Custom, the first sight of an
// HS256 token (decoding and checking the custom claims), a cache hit, and
// a cache hit whose handler reads the claims with CustomFrom.
func BenchmarkCustom(b *testing.B) {
	s := newSigner(b, "HS256", "k1")
	c := claimsAt(time.Now())
	c["roles"] = []string{"reader", "writer"}
	tok := s.sign(b, c, nil)
	r := bearerRequest(tok)
	a, err := New(Config{
		Algorithms: []string{"HS256"},
		Issuers:    []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}}, Audiences: []string{"api://orders"},
		Revocations: NewMemoryRevocations(nil),
		Custom:      Custom[benchCustom](func(context.Context, *benchCustom) error { return nil }),
	})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Middleware(bare)
	reader := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := CustomFrom[benchCustom](r.Context()); !ok || c.Roles[0] != "reader" {
			b.Fatal("no custom claims")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Run("first-sight", func(b *testing.B) { run(b, h, r, 204, func() { a.cache.remove(tok) }) })
	b.Run("cache-hit", func(b *testing.B) { run(b, h, r, 204, nil) })
	b.Run("cache-hit-CustomFrom", func(b *testing.B) { run(b, reader, r, 204, nil) })
}
