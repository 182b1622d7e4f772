package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// overheadBatch is the number of requests, then of signature checks, timed
// together in BenchmarkPairedOverhead: enough to make the clock's own cost
// small beside the batch, few enough that both halves of a pair see the
// same machine.
const overheadBatch = 8

// BenchmarkPairedOverhead measures what gatehouse's first sight of a token
// costs beyond its signature check, in a form that a busy or drifting
// machine does not blur: each iteration times a batch of requests through
// gatehouse's bearer middleware (cache disabled, so every request is a
// first sight) and a batch of the same token's signature checks alone
// (signatureCheck, standard library only), in alternating order, so the
// two halves of each pair run microseconds apart. BenchmarkJWT's gatehouse and signature rows are
// medians taken minutes apart, and an RSA or ECDSA check's own variation
// between them exceeds the whole overhead.
//
// It reports, per request: gatehouse-ns/req, signature-ns/req and their
// difference, overhead-ns/req (the handoff of the Principal to the
// handler included, as in BenchmarkJWT's overhead column). Allocations
// are BenchmarkJWT's to report.
func BenchmarkPairedOverhead(b *testing.B) {
	for _, alg := range fixture.Algorithms {
		a := fixture.Load(alg)
		for _, row := range []struct {
			name  string
			token string
			want  int
		}{
			{"valid", a.Valid, http.StatusNoContent},
			{"bad-signature", a.BadSignature, http.StatusUnauthorized},
		} {
			b.Run(alg+"/"+row.name, func(b *testing.B) {
				h, err := contender.GatehouseBearer(a, false)
				h = must(b, h, err)
				sc, err := newSignatureCheck(a, row.token)
				if err != nil {
					b.Fatal(err)
				}
				req := fixture.Request("", "Authorization", "Bearer "+row.token)
				w := fixture.NewWriter()
				h.ServeHTTP(w, req)
				if w.Code != row.want {
					b.Fatalf("status %d, want %d", w.Code, row.want)
				}
				if sc.verify() != (row.want == http.StatusNoContent) {
					b.Fatal("the signature check disagrees with the row")
				}
				serveBatch := func() time.Duration {
					t := time.Now()
					for range overheadBatch {
						w.Reset()
						h.ServeHTTP(w, req)
					}
					return time.Since(t)
				}
				checkBatch := func() time.Duration {
					t := time.Now()
					for range overheadBatch {
						sc.verify()
					}
					return time.Since(t)
				}
				var through, alone time.Duration
				pairs := 0
				for b.Loop() {
					// Which half goes first alternates, so that neither
					// is always the one that inherits the other's caches
					// or pays for the garbage collection the other's
					// allocations started.
					if pairs%2 == 0 {
						through += serveBatch()
						alone += checkBatch()
					} else {
						alone += checkBatch()
						through += serveBatch()
					}
					pairs++
				}
				if w.Code != row.want {
					b.Fatalf("status %d in the loop, want %d", w.Code, row.want)
				}
				n := float64(pairs * overheadBatch)
				b.ReportMetric(float64(through)/n, "gatehouse-ns/req")
				b.ReportMetric(float64(alone)/n, "signature-ns/req")
				b.ReportMetric(float64(through-alone)/n, "overhead-ns/req")
			})
		}
	}
}
