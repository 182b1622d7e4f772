package loadcpu

import (
	"math"
	"testing"
)

// TestRatio checks the per-request figures and that the estimate adds to
// the baseline's time per request exactly what the middleware and the
// extra collection cost.
func TestRatio(t *testing.T) {
	base := Share{Server: "no-auth", CPU: 20, Middleware: 0, GC: 0.01, Requests: 1e6}
	s := Share{Server: "auth", CPU: 21, Middleware: 2.0 / 21, GC: 0.4 / 21, Requests: 1e6}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-6 }
	if !near(base.CPUNs(), 20_000) || !near(s.MiddlewareNs(), 2000) || !near(s.GCNs(), 400) || !near(base.GCNs(), 200) {
		t.Fatalf("per request: %v %v %v %v", base.CPUNs(), s.MiddlewareNs(), s.GCNs(), base.GCNs())
	}
	if got, want := Ratio(base, s), 20_000.0/(20_000+2000+200); !near(got, want) {
		t.Fatalf("Ratio %v, want %v", got, want)
	}
	if !near(Ratio(base, base), 1) {
		t.Fatal("a server against itself is not 1")
	}
	if !near(s.MiddlewareSamples(), 200) {
		t.Fatalf("samples %v, want 200", s.MiddlewareSamples())
	}
	if Ratio(Share{}, s) != 0 || Ratio(base, Share{}) != 0 || (Share{}).CPUNs() != 0 {
		t.Fatal("a server without requests gave a ratio")
	}
}
