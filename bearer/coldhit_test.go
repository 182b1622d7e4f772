package bearer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkCacheHitCold measures a cache hit on one of 65,536 cached
// tokens, taken in random order, so that little of what the hit reads is
// in the core's caches: what the memory a hit touches costs, which under
// load (other requests' work between two requests of a connection) a hit
// pays beyond BenchmarkVerify's cache-hit time. The Authorization value is
// written just before each request, as net/http writes it; "copy-only"
// is that writing alone, which "hit" includes.
func BenchmarkCacheHitCold(b *testing.B) {
	const n = 1 << 16
	s := newSigner(b, "HS256", "k1")
	now := time.Now()
	size := 2 * n
	a, err := New(Config{
		Algorithms: []string{s.alg},
		Issuers:    []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}},
		Audiences:  []string{"api://orders"},
		CacheSize:  &size,
	})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Middleware(bare)
	toks := make([]string, n)
	r := bearerRequest("x")
	w := &benchWriter{h: make(map[string][]string)}
	for i := range toks {
		c := claimsAt(now)
		c["jti"] = fmt.Sprintf("jti-%06d", i) // every token of one length
		toks[i] = "Bearer " + s.sign(b, c, nil)
		r.Header["Authorization"] = []string{toks[i]}
		if h.ServeHTTP(w, r); w.code != 204 {
			b.Fatalf("status %d", w.code)
		}
	}
	// The tokens in random order, one after the other in memory, so that
	// reading the next one is the prefetcher's work, not a cache miss.
	rand.Shuffle(n, func(i, j int) { toks[i], toks[j] = toks[j], toks[i] })
	var arena []byte
	for _, t := range toks {
		arena = append(arena, t...)
	}
	l := len(toks[0])
	buf := make([]byte, 0, 1024)
	vals := []string{""}
	r.Header["Authorization"] = vals
	for _, name := range []string{"copy-only", "hit"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf = append(buf[:0], arena[i*l:(i+1)*l]...)
				if i++; i == n {
					i = 0
				}
				vals[0] = unsafe.String(&buf[0], len(buf))
				if name == "hit" {
					w.reset()
					h.ServeHTTP(w, r)
				}
			}
		})
	}
	if w.code != 204 {
		b.Fatalf("status %d", w.code)
	}
	if a.cache.len() < n {
		b.Fatal("the tokens were not all cached")
	}
}
