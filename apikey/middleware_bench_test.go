package apikey_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// BenchmarkMiddleware measures a request through the middleware into a 204
// handler with 10,000 keys stored, beside its floors measured in the same
// run:
//
//	bare   the 204 handler alone
//	floor  the 204 handler behind the least any key check must do: read
//	       the header, SHA-256 the key, look the digest up in a map
//
//	floor+principal  the floor plus handing the handler a Principal
//	       built in advance for each key, the cheapest way there is
//	       (gatehouse.WithPrincipalRef: a context node and a request copy)
//	bare-401  the bare handler writing the same 401 response as the
//	       middleware (headers and body) by hand, from precomputed values
//	floor-reject  the bare handler rendering that 401 with envelope.WriteStyle
//
// Besides ns/op it reports cpu-ns/op, the process CPU time per request,
// which a busy shared machine disturbs less than wall time.
//
// Every case creates a fresh httptest.ResponseRecorder per request, as a
// server creates a fresh response per request; the request is reused.
func BenchmarkMiddleware(b *testing.B) {
	cases := middlewareCases(b)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, c.r)
				if w.Code != c.want {
					b.Fatalf("status %d, want %d", w.Code, c.want)
				}
			}
			if cpu := processCPU() - start; cpu > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkMiddlewareRatios measures the same cases as BenchmarkMiddleware
// interleaved: each iteration is one round that serves a batch of requests
// with every case in turn, timing each batch. A burst of load from another
// process then falls on neighbouring batches of every case alike, instead
// of on whichever sub-benchmark happened to be running. It reports the
// median batch time per request of each case ("<case>-ns") and the median
// over rounds of the per-round ratios the performance targets are stated
// in ("valid/floor", …). Medians leave out rounds hit by a garbage
// collection as well; allocations are reported by BenchmarkMiddleware.
func BenchmarkMiddlewareRatios(b *testing.B) {
	cases := middlewareCases(b)
	serve := make([]func(), len(cases))
	for i, c := range cases {
		serve[i] = func() {
			w := httptest.NewRecorder()
			c.h.ServeHTTP(w, c.r)
			if w.Code != c.want {
				b.Fatalf("%s: status %d, want %d", c.name, w.Code, c.want)
			}
		}
	}
	interleave(b, 32, cases, serve, [][2]string{
		{"valid", "floor"}, {"valid", "floor+principal"},
		{"missing", "bare"}, {"malformed", "bare"}, {"unknown", "bare"},
		{"missing", "bare-401"}, {"malformed", "bare-401"}, {"unknown", "bare-401"},
		{"missing", "floor-reject"}, {"malformed", "floor-reject"}, {"unknown", "floor-reject"},
	})
}

// interleave runs rounds of batches: each iteration of b serves batch
// requests of every case in turn (serve[i] serves one request of
// cases[i]), timing each batch. It reports the median per-request time of
// each case and, for each pair {num, den} of case names, the median over
// rounds of the per-round ratio num/den.
func interleave(b *testing.B, batch int, cases []benchCase, serve []func(), pairs [][2]string) {
	b.Helper()
	index := make(map[string]int, len(cases))
	for i, c := range cases {
		index[c.name] = i
	}
	var rounds [][]float64
	for b.Loop() {
		round := make([]float64, len(cases))
		for i := range cases {
			start := time.Now()
			for range batch {
				serve[i]()
			}
			round[i] = float64(time.Since(start).Nanoseconds()) / float64(batch)
		}
		rounds = append(rounds, round)
	}
	median := func(f func(round []float64) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	for i, c := range cases {
		b.ReportMetric(median(func(r []float64) float64 { return r[i] }), c.name+"-ns")
	}
	for _, q := range pairs {
		num, den := index[q[0]], index[q[1]]
		b.ReportMetric(median(func(r []float64) float64 { return r[num] / r[den] }), q[0]+"/"+q[1])
	}
	b.ReportMetric(0, "ns/op") // a round is not an operation
}

// A benchCase is one handler and the request it is benchmarked with.
type benchCase struct {
	name string
	h    http.Handler
	r    *http.Request
	want int
}

// middlewareCases builds the store of 10,000 keys and the handlers that
// BenchmarkMiddleware and BenchmarkMiddlewareRatios measure.
func middlewareCases(b *testing.B) []benchCase {
	b.Helper()
	const n = 10_000
	ctx := context.Background()
	store := apikey.NewMemoryStore()
	floorMap := make(map[[32]byte]*gatehouse.Principal, n)
	var valid string
	for i := range n {
		key, rec, err := apikey.Generate("live")
		if err != nil {
			b.Fatal(err)
		}
		rec.Tenant, rec.Scopes, rec.Surfaces = "acme", []string{"charges:write"}, []string{"payment"}
		if err := store.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
		floorMap[rec.Hash] = &gatehouse.Principal{
			Subject: rec.ID, Tenant: rec.Tenant, Scopes: rec.Scopes,
			Method: gatehouse.MethodAPIKey, TokenID: rec.ID, Claims: &rec,
		}
		if i == n/2 {
			valid = key
		}
	}
	unknown, _, _ := apikey.Generate("live")
	malformed := valid[:len(valid)-1] + "!"
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	auth, err := apikey.New(apikey.Config{
		Store:        store,
		Tenant:       apikey.TenantHeader("X-Tenant-ID"),
		Surface:      "payment",
		Unauthorized: envelope.ErrUnauthorized.WithNumber(-23),
		Style:        envelope.Numeric,
		Now:          func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}

	// Every handler is called through the http.Handler interface, as
	// middleware calls next, so that the compiler cannot inline it and
	// keep a request copy on the stack.
	var noContent http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header["Apikey"]
		if len(v) != 1 || floorMap[sha256.Sum256([]byte(v[0]))] == nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		noContent.ServeHTTP(w, r)
	})
	// floorPrincipal adds what any middleware that hands a Principal to the
	// handler must pay: a context value and a request copy.
	floorPrincipal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header["Apikey"]
		p := floorMap[sha256.Sum256([]byte(v[0]))]
		noContent.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p)))
	})
	// floorReject is the bare handler answering with the middleware's own
	// refusal through the one renderer, envelope.WriteStyle.
	_, refusal := auth.Check(httptest.NewRequest(http.MethodGet, "/", nil))
	floorReject := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.WriteStyle(w, r, envelope.Numeric, refusal)
	})
	// bare401 writes the bytes floorReject writes, precomputed: the least
	// any handler answering with that response can do.
	rendered := httptest.NewRecorder()
	floorReject.ServeHTTP(rendered, httptest.NewRequest(http.MethodGet, "/", nil))
	header, body := rendered.Header().Clone(), rendered.Body.Bytes()
	bare401 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(body)
	})
	checked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := gatehouse.PrincipalFrom(r.Context()); !ok {
			panic("no principal")
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mw := auth.Middleware(checked)

	req := func(key string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/Payment/Charges/Create", nil)
		r.Header.Set("X-Tenant-ID", "acme")
		if key != "" {
			r.Header.Set("ApiKey", key)
		}
		return r
	}
	return []benchCase{
		{"bare", noContent, req(valid), 204},
		{"floor", floor, req(valid), 204},
		{"floor+principal", floorPrincipal, req(valid), 204},
		{"bare-401", bare401, req(""), 401},
		{"floor-reject", floorReject, req(""), 401},
		{"valid", mw, req(valid), 204},
		{"missing", mw, req(""), 401},
		{"malformed", mw, req(malformed), 401},
		{"unknown", mw, req(unknown), 401},
	}
}

// BenchmarkParseKey is the format check alone: prefix, environment,
// alphabet and CRC-32.
func BenchmarkParseKey(b *testing.B) {
	key, _, _ := apikey.Generate("live")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.ParseKey(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHash is the SHA-256 of a key, beside sha256.Sum256 of the key
// converted to bytes, the plain way to compute the same digest.
func BenchmarkHash(b *testing.B) {
	key, _, _ := apikey.Generate("live")
	b.Run("Hash", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = apikey.Hash(key)
		}
	})
	b.Run("sha256.Sum256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sha256.Sum256([]byte(key))
		}
	})
}

// BenchmarkServer puts the cases of BenchmarkMiddleware behind real
// HTTP/1.1 servers on loopback, one per case, each with a keep-alive
// client, and interleaves them as BenchmarkMiddlewareRatios does (rounds of
// 8 requests per case): the middleware's cost in proportion to a whole
// request, which is what a flood of bad keys costs a server.
func BenchmarkServer(b *testing.B) {
	cases := middlewareCases(b)
	serve := make([]func(), len(cases))
	for i, c := range cases {
		srv := httptest.NewServer(c.h)
		b.Cleanup(srv.Close)
		client := srv.Client()
		req, err := http.NewRequest(c.r.Method, srv.URL+c.r.URL.Path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header = c.r.Header.Clone()
		serve[i] = func() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != c.want {
				b.Fatalf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
			}
		}
	}
	interleave(b, 8, cases, serve, [][2]string{
		{"valid", "floor"}, {"valid", "bare"},
		{"missing", "bare"}, {"malformed", "bare"}, {"unknown", "bare"},
		{"missing", "bare-401"}, {"unknown", "bare-401"},
	})
}
