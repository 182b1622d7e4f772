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
// (signatureCheck, standard library only), and, for a valid token, a batch
// of requests through the handoff control (contender.Handoff: a prebuilt
// Principal handed on, nothing verified), in rotating order, so the
// halves of each group run microseconds apart. BenchmarkJWT's gatehouse,
// signature and handoff-bare rows are medians taken minutes apart, and an
// RSA or ECDSA check's own variation between them exceeds the whole
// overhead.
//
// It reports, per request: gatehouse-ns/req, signature-ns/req and their
// difference, overhead-ns/req (the handoff of the Principal to the handler
// included, as in BenchmarkJWT's overhead column); for a valid token also
// handoff-ns/req, the control's time less the bare handler's, and
// verify-ns/req, the overhead less that handoff: what gatehouse adds that
// no middleware handing a Principal on the net/http way can avoid.
// Allocations are BenchmarkJWT's to report.
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
				serve := func(h http.Handler) func() time.Duration {
					return func() time.Duration {
						t := time.Now()
						for range overheadBatch {
							w.Reset()
							h.ServeHTTP(w, req)
						}
						return time.Since(t)
					}
				}
				check := func() time.Duration {
					t := time.Now()
					for range overheadBatch {
						sc.verify()
					}
					return time.Since(t)
				}
				// The halves, timed in turn; the handoff control and
				// the bare handler only for a valid token, which is
				// handed on.
				halves := []func() time.Duration{serve(h), check}
				if row.want == http.StatusNoContent {
					halves = append(halves, serve(contender.Handoff(fixture.NoContent)), serve(fixture.NoContent))
				}
				sums := make([]time.Duration, len(halves))
				groups := 0
				for b.Loop() {
					// Which half goes first rotates, so that none is
					// always the one that inherits another's caches or
					// pays for the garbage collection another's
					// allocations started.
					for i := range halves {
						j := (groups + i) % len(halves)
						sums[j] += halves[j]()
					}
					groups++
				}
				w.Reset()
				if h.ServeHTTP(w, req); w.Code != row.want {
					b.Fatalf("status %d after the loop, want %d", w.Code, row.want)
				}
				n := float64(groups * overheadBatch)
				through, alone := sums[0], sums[1]
				b.ReportMetric(float64(through)/n, "gatehouse-ns/req")
				b.ReportMetric(float64(alone)/n, "signature-ns/req")
				b.ReportMetric(float64(through-alone)/n, "overhead-ns/req")
				if len(sums) == 4 {
					handoff := sums[2] - sums[3]
					b.ReportMetric(float64(handoff)/n, "handoff-ns/req")
					b.ReportMetric(float64(through-alone-handoff)/n, "verify-ns/req")
				}
			})
		}
	}
}
