package apikey_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
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
//	floor+principal  the floor plus storing a Principal in the request
//	       context (a request copy, a context node, the boxed Principal)
//	floor-reject  the bare handler rendering a 401 with envelope.WriteStyle
//
// Besides ns/op it reports cpu-ns/op, the process CPU time per request,
// which a busy shared machine disturbs less than wall time.
//
// Every case creates a fresh httptest.ResponseRecorder per request, as a
// server creates a fresh response per request; the request is reused.
func BenchmarkMiddleware(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	store := apikey.NewMemoryStore()
	floorMap := make(map[[32]byte]*apikey.Record, n)
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
		floorMap[rec.Hash] = &rec
		if i == n/2 {
			valid = key
		}
	}
	unknown, _, _ := apikey.Generate("live")
	malformed := valid[:len(valid)-1] + "!"
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	auth := apikey.MustNew(apikey.Config{
		Store:        store,
		Tenant:       apikey.TenantHeader("X-Tenant-ID"),
		Surface:      "payment",
		Unauthorized: envelope.ErrUnauthorized.WithNumber(-23),
		Style:        envelope.Numeric,
		Now:          func() time.Time { return now },
	})

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
		rec := floorMap[sha256.Sum256([]byte(v[0]))]
		p := gatehouse.Principal{TokenID: rec.ID, Tenant: rec.Tenant, Scopes: rec.Scopes, Method: gatehouse.MethodAPIKey, Claims: rec}
		noContent.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
	})
	// floorReject is the bare handler answering with the middleware's own
	// refusal through the one renderer, envelope.WriteStyle.
	_, refusal := auth.Check(httptest.NewRequest(http.MethodGet, "/", nil))
	floorReject := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.WriteStyle(w, r, envelope.Numeric, refusal)
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
	cases := []struct {
		name string
		h    http.Handler
		r    *http.Request
		want int
	}{
		{"bare", noContent, req(valid), 204},
		{"floor", floor, req(valid), 204},
		{"floor+principal", floorPrincipal, req(valid), 204},
		{"floor-reject", floorReject, req(""), 401},
		{"valid", mw, req(valid), 204},
		{"missing", mw, req(""), 401},
		{"malformed", mw, req(malformed), 401},
		{"unknown", mw, req(unknown), 401},
	}
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

// BenchmarkHash is the SHA-256 of a key, beside the plain conversion it
// replaces.
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

// BenchmarkServer puts the same handlers behind a real HTTP/1.1 server on
// loopback with a keep-alive client, to show the middleware's cost in
// proportion to a whole request.
func BenchmarkServer(b *testing.B) {
	ctx := context.Background()
	store := apikey.NewMemoryStore()
	floorMap := make(map[[32]byte]bool, 10_000)
	var valid string
	for i := range 10_000 {
		key, rec, err := apikey.Generate("live")
		if err != nil {
			b.Fatal(err)
		}
		rec.Tenant, rec.Surfaces = "acme", []string{"payment"}
		if err := store.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
		floorMap[rec.Hash] = true
		if i == 0 {
			valid = key
		}
	}
	auth := apikey.MustNew(apikey.Config{Store: store, Tenant: apikey.TenantHeader("X-Tenant-ID"), Surface: "payment"})
	var noContent http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header["Apikey"]; len(v) != 1 || !floorMap[sha256.Sum256([]byte(v[0]))] {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		noContent.ServeHTTP(w, r)
	})
	cases := []struct {
		name string
		h    http.Handler
		key  string
		want int
	}{
		{"bare", noContent, valid, 204},
		{"floor", floor, valid, 204},
		{"valid", auth.Middleware(noContent), valid, 204},
		{"missing", auth.Middleware(noContent), "", 401},
		{"malformed", auth.Middleware(noContent), valid[:len(valid)-1] + "!", 401},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			client := srv.Client()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/Payment/Charges/Create", nil)
			req.Header.Set("X-Tenant-ID", "acme")
			if c.key != "" {
				req.Header.Set("ApiKey", c.key)
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.want {
					b.Fatalf("status %d, want %d", resp.StatusCode, c.want)
				}
			}
		})
	}
}
