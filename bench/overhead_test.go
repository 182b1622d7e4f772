package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
	"github.com/gatehouse-go/gatehouse/internal/median"
)

// overheadBatch is the number of requests, then of signature checks, timed
// together in BenchmarkPairedOverhead: enough to make the clock's own cost
// small beside the batch, few enough that both halves of a pair see the
// same machine.
const overheadBatch = 8

// BenchmarkPairedOverhead measures what gatehouse's first sight of a token
// costs beyond its signature check, in a form that a busy or drifting
// machine does not blur. Each iteration times, in rotating order so that
// the halves of a group run microseconds apart, a batch of each of:
//
//   - requests through gatehouse's bearer middleware (cache disabled, so
//     every request is a first sight);
//   - the same token's signature checks alone (signatureCheck, standard
//     library only, the token taken apart beforehand);
//   - the control (signatureControl): per request, that signature check
//     followed by the least any middleware does next — for a valid token
//     handing a prebuilt Principal to the handler (contender.Handoff), for
//     a refused one writing the same refusal gatehouse writes.
//
// BenchmarkJWT's gatehouse and signature rows are medians taken minutes
// apart, and an RSA or ECDSA check's own variation between them exceeds
// the whole overhead.
//
// The rows named "HS256/…-after-ALG" are a control for the asymmetric
// rows: the HS256 rows again, with every request and every signature
// check of each half preceded by an ALG signature check of another token.
// That check cancels out of each group's difference, and only the
// typical differences are reported for these rows. What remains is the
// work gatehouse does for an HS256 token, done, as it is for an ALG
// token, right after an asymmetric verification has had the core's
// caches and branch predictors to itself.
//
// It reports, per request: gatehouse-ns/req and signature-ns/req;
// overhead-ns/req, their difference (time − signature time, the handoff
// or the refusal included); control-ns/req,
// the control less the signature check alone: what the least middleware
// adds to the same signature check, the work after it and what that work
// costs the check (caches and branch history shared with it) included;
// and beyond-ns/req, gatehouse less the control: what gatehouse adds that
// such a middleware does not. These are sums over every group, stalls and
// garbage collection included. overhead-median-ns/req and
// beyond-median-ns/req are the medians, over the groups (the last 65,536
// of a longer run), of each group's own difference: the typical request,
// which a group stalled by the machine (another tenant of a shared host,
// a collection) does not move.
// Allocations are BenchmarkJWT's to report.
func BenchmarkPairedOverhead(b *testing.B) {
	rows := []struct {
		name  string
		token func(*fixture.Alg) string
		want  int
	}{
		{"valid", func(a *fixture.Alg) string { return a.Valid }, http.StatusNoContent},
		{"bad-signature", func(a *fixture.Alg) string { return a.BadSignature }, http.StatusUnauthorized},
	}
	for _, alg := range fixture.Algorithms {
		a := fixture.Load(alg)
		for _, row := range rows {
			b.Run(alg+"/"+row.name, func(b *testing.B) { pairedOverhead(b, a, row.token(a), row.want, nil) })
		}
	}
	hs := fixture.Load("HS256")
	for _, alg := range fixture.Algorithms[1:] {
		pre, err := newSignatureCheck(fixture.Load(alg), fixture.Load(alg).Valid)
		if err != nil {
			b.Fatal(err)
		}
		for _, row := range rows {
			b.Run("HS256/"+row.name+"-after-"+alg, func(b *testing.B) { pairedOverhead(b, hs, row.token(hs), row.want, pre) })
		}
	}
}

// pairedOverhead is one row of BenchmarkPairedOverhead: token, which
// gatehouse answers with status want, under a's key; pre, when not nil,
// is checked before each request and each signature check of every half.
func pairedOverhead(b *testing.B, a *fixture.Alg, token string, want int, pre *signatureCheck) {
	h, err := contender.GatehouseBearer(a, false)
	h = must(b, h, err)
	sc, err := newSignatureCheck(a, token)
	if err != nil {
		b.Fatal(err)
	}
	req := fixture.Request("", "Authorization", "Bearer "+token)
	if sc.verify() != (want == http.StatusNoContent) {
		b.Fatal("the signature check disagrees with the row")
	}
	if pre != nil && !pre.verify() {
		b.Fatal("the preceding signature check fails")
	}
	ctl := signatureControl(sc, h, req)
	w := fixture.NewWriter()
	for _, h := range []http.Handler{h, ctl} {
		w.Reset()
		if h.ServeHTTP(w, req); w.Code != want {
			b.Fatalf("status %d, want %d", w.Code, want)
		}
	}
	serve := func(h http.Handler) func() time.Duration {
		return func() time.Duration {
			t := time.Now()
			for range overheadBatch {
				if pre != nil {
					pre.verify()
				}
				w.Reset()
				h.ServeHTTP(w, req)
			}
			return time.Since(t)
		}
	}
	check := func() time.Duration {
		t := time.Now()
		for range overheadBatch {
			if pre != nil {
				pre.verify()
			}
			sc.verify()
		}
		return time.Since(t)
	}
	halves := []func() time.Duration{serve(h), check, serve(ctl)}
	var sums [3]time.Duration
	over, beyond := median.New(), median.New()
	groups := 0
	for b.Loop() {
		var g [3]time.Duration
		// Which half goes first rotates, so that none is always the one
		// that inherits another's caches or pays for the garbage
		// collection another's allocations started.
		for i := range halves {
			j := (groups + i) % len(halves)
			g[j] = halves[j]()
			sums[j] += g[j]
		}
		over.Add(g[0] - g[1])
		beyond.Add(g[0] - g[2])
		groups++
	}
	w.Reset()
	if h.ServeHTTP(w, req); w.Code != want {
		b.Fatalf("status %d after the loop, want %d", w.Code, want)
	}
	n := float64(groups * overheadBatch)
	through, alone, control := sums[0], sums[1], sums[2]
	if pre == nil {
		// With a preceding check, only the typical differences are
		// reported: the check cancels out of a group's difference, but
		// its own variation, which the sums add up, does not.
		b.ReportMetric(float64(through)/n, "gatehouse-ns/req")
		b.ReportMetric(float64(alone)/n, "signature-ns/req")
		b.ReportMetric(float64(through-alone)/n, "overhead-ns/req")
		b.ReportMetric(float64(control-alone)/n, "control-ns/req")
		b.ReportMetric(float64(through-control)/n, "beyond-ns/req")
	}
	b.ReportMetric(over.Value()/overheadBatch, "overhead-median-ns/req")
	b.ReportMetric(beyond.Value()/overheadBatch, "beyond-median-ns/req")
}

// signatureControl returns the control of BenchmarkPairedOverhead for
// req, which gatehouse's handler h accepts or refuses: a handler that
// runs the signature check sc, then, for an accepted token, hands a
// prebuilt Principal to the bare handler (contender.Handoff), or, for a
// refused one, writes the response h writes (its status, headers and
// body, recorded once and assigned as they are). It is a control, not a
// contender: it verifies nothing but the signature, and no middleware
// that checks the same signature and answers the same way does less.
func signatureControl(sc *signatureCheck, h http.Handler, req *http.Request) http.Handler {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code == http.StatusNoContent {
		next := contender.Handoff(fixture.NoContent)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sc.verify()
			next.ServeHTTP(w, r)
		})
	}
	code, header, body := rec.Code, rec.Header().Clone(), rec.Body.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sc.verify()
		dst := w.Header()
		for k, v := range header {
			dst[k] = v
		}
		w.WriteHeader(code)
		w.Write(body)
	})
}
