package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"
)

// TestShareOf checks that the middleware's share is the time under
// net/http's call of the handler but not under the route's own handler,
// frames inlined into one location included; that the collector's
// background work is counted apart; and that a profile of another kind,
// or one in which net/http never calls the handler, is refused.
func TestShareOf(t *testing.T) {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	serve, route, mw, gc, other := fn(1, serveFrame), fn(2, routeFrame), fn(3, "example.middleware"), fn(4, "runtime.gcBgMarkWorker"), fn(5, "syscall.write")
	loc := func(id uint64, f *profile.Function) *profile.Location {
		return &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
	}
	lServe, lRoute, lMW, lGC, lOther := loc(1, serve), loc(2, route), loc(3, mw), loc(4, gc), loc(5, other)
	// The middleware inlined into net/http's call: one location, two lines.
	lInlined := &profile.Location{ID: 6, Line: []profile.Line{{Function: mw}, {Function: serve}}}
	sample := func(ns int64, stack ...*profile.Location) *profile.Sample {
		return &profile.Sample{Value: []int64{ns / 1e7, ns}, Location: stack}
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			sample(20e6, lMW, lServe),         // the middleware
			sample(10e6, lInlined),            // the middleware, inlined
			sample(50e6, lRoute, lMW, lServe), // the route, under the middleware
			sample(10e6, lGC),
			sample(910e6, lOther),
		},
		Function: []*profile.Function{serve, route, mw, gc, other},
		Location: []*profile.Location{lServe, lRoute, lMW, lGC, lOther, lInlined},
	}
	got, err := shareOf("x", p)
	if err != nil {
		t.Fatal(err)
	}
	if got.CPU != 1 || math.Abs(got.Middleware-0.03) > 1e-9 || math.Abs(got.GC-0.01) > 1e-9 {
		t.Fatalf("got %+v", got)
	}
	got.Requests = 1e6
	if ns := got.MiddlewareNs(); math.Abs(ns-30) > 1e-6 {
		t.Fatalf("%v ns per request, want 30", ns)
	}

	// Through the file the server writes.
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "server.pprof")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got.Requests = 0
	if again, err := cpuShare("x", path); err != nil || again != got {
		t.Fatalf("from the file: %+v, %v; want %+v", again, err, got)
	}
	if _, err := cpuShare("x", filepath.Join(t.TempDir(), "missing.pprof")); err == nil {
		t.Fatal("a missing profile was read")
	}

	served := p.Sample
	p.Sample = []*profile.Sample{sample(10e6, lOther)}
	if _, err := shareOf("x", p); err == nil {
		t.Fatal("a profile without net/http's call of the handler gave a share")
	}
	p.Sample = served

	p.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}
	if _, err := shareOf("x", p); err == nil {
		t.Fatal("a heap profile was read as a CPU profile")
	}
	if _, err := shareOf("x", &profile.Profile{SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}}}); err == nil {
		t.Fatal("an empty profile gave a share")
	}
}
