package bearer

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/median"
)

// BenchmarkFirstSightAfter measures what the state the core's caches and
// branch predictors were left in costs an HS256 first sight (cache
// disabled) and its HMAC check alone. Each iteration runs some other work,
// then times one request and, after the same work, one HMAC check; the
// metrics are medians over the iterations (the last 65,536), so that a
// stall of the machine does not move them:
//
//   - warm: the work is three more of the same requests (every line and
//     branch the request needs is where it left them);
//   - after-RS256: an RS256 signature check of another token, as an RS256
//     first sight has just done before its own claims are read;
//   - after-branches: 32 KiB of branches on random bits, which leave the
//     branch predictors trained on something else and the caches alone;
//   - after-96KiB-sweep: a write to every 64-byte line of 96 KiB, which
//     evicts the request's data from the core's first-level data cache;
//   - after-4MiB-sweep: the same over 4 MiB, which evicts the data and
//     the code the request uses from the core's first- and second-level
//     caches.
//
// It reports request-median-ns and hmac-median-ns, and their difference,
// overhead-median-ns: what gatehouse adds to the signature check in that
// state. Both timings include the clock's own cost, which the difference
// cancels.
func BenchmarkFirstSightAfter(b *testing.B) {
	s := newSigner(b, "HS256", "k1")
	tok := s.sign(b, claimsAt(time.Now()), nil)
	a, err := New(Config{
		Algorithms: []string{s.alg},
		Issuers:    []Issuer{{URL: "https://issuer.test", Keys: []Key{s.key()}}},
		Audiences:  []string{"api://orders"},
		CacheSize:  new(0),
	})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Middleware(bare)
	r := bearerRequest(tok)
	w := &benchWriter{h: make(map[string][]string)}
	serve := func() {
		w.reset()
		h.ServeHTTP(w, r)
	}

	// The HMAC check alone, as the signature row of the bench module
	// times it: the signing input MACed with the key, the signature
	// decoded beforehand and compared in constant time.
	dot := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, s.priv.([]byte))
	var sum [sha256.Size]byte
	checkHMAC := func() bool {
		mac.Reset()
		mac.Write(input)
		return hmac.Equal(mac.Sum(sum[:0]), sig)
	}

	rs := newSigner(b, "RS256", "k2")
	rtok := rs.sign(b, claimsAt(time.Now()), nil)
	rdot := strings.LastIndexByte(rtok, '.')
	rsig, err := base64.RawURLEncoding.DecodeString(rtok[rdot+1:])
	if err != nil {
		b.Fatal(err)
	}
	rinput := []byte(rtok[:rdot])
	rpub := rs.pub.(*rsa.PublicKey)
	checkRSA := func() {
		d := sha256.Sum256(rinput)
		if rsa.VerifyPKCS1v15(rpub, crypto.SHA256, d[:], rsig) != nil {
			b.Fatal("the RS256 check failed")
		}
	}
	random := make([]byte, 32<<10)
	rand.Read(random)
	var sink int
	branches := func() {
		n := 0
		for _, c := range random {
			if c&1 == 0 {
				n++
			}
			if c&2 == 0 {
				n += 3
			}
		}
		sink += n
	}
	sweep := make([]byte, 4<<20)
	sweeper := func(n int) func() {
		return func() {
			for i := 0; i < n; i += 64 {
				sweep[i]++
			}
		}
	}

	for _, bc := range []struct {
		name   string
		before func()
	}{
		{"warm", func() { serve(); serve(); serve() }},
		{"after-RS256", checkRSA},
		{"after-branches", branches},
		{"after-96KiB-sweep", sweeper(96 << 10)},
		{"after-4MiB-sweep", sweeper(len(sweep))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, check := median.New(), median.New()
			for b.Loop() {
				bc.before()
				t := time.Now()
				serve()
				req.Add(time.Since(t))
				bc.before()
				t = time.Now()
				ok := checkHMAC()
				check.Add(time.Since(t))
				if !ok || w.code != 204 {
					b.Fatalf("status %d, HMAC check %v", w.code, ok)
				}
			}
			rm, cm := req.Value(), check.Value()
			b.ReportMetric(rm, "request-median-ns")
			b.ReportMetric(cm, "hmac-median-ns")
			b.ReportMetric(rm-cm, "overhead-median-ns")
		})
	}
	_ = sink
}
