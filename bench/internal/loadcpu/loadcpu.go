// Package loadcpu holds what the load comparison's servers' CPU profiles
// say: the one type cmd/load writes and cmd/report reads, and the one
// estimate both print.
package loadcpu

// SamplePeriod is the CPU profiler's sampling period, in seconds
// (runtime/pprof samples at 100 Hz).
const SamplePeriod = 0.01

// A Share is what one server's CPU profile, taken over the whole load
// run, says of where the server's CPU time went.
type Share struct {
	Server string `json:"server"`
	// CPU is the CPU time the profile saw, in seconds.
	CPU float64 `json:"cpu_s"`
	// Middleware is the share of CPU time spent under net/http's call of
	// the server's handler less the route's own handler: the middleware,
	// or, for a server without one, nothing but that call.
	Middleware float64 `json:"middleware"`
	// GC is the share spent in the garbage collector's background
	// workers, which no handler's stack shows.
	GC float64 `json:"gc"`
	// Requests is the number of requests the server answered in the run,
	// warm-up included.
	Requests float64 `json:"requests"`
}

// A Result is one server's Share with its baseline, the server that
// receives the same requests without authentication, and its Ratio to it:
// what cmd/load writes and cmd/report reads.
type Result struct {
	Share
	Base     string  `json:"base"`
	CPUBound float64 `json:"cpu_bound"`
}

// perRequest returns share of s's CPU time per request, in nanoseconds.
func (s Share) perRequest(share float64) float64 {
	if s.Requests == 0 {
		return 0
	}
	return share * s.CPU * 1e9 / s.Requests
}

// CPUNs is the server's CPU time per request, in nanoseconds: everything
// the process did, the network and net/http included.
func (s Share) CPUNs() float64 { return s.perRequest(1) }

// MiddlewareNs is the middleware's CPU time per request, in nanoseconds.
func (s Share) MiddlewareNs() float64 { return s.perRequest(s.Middleware) }

// GCNs is the collector's background CPU time per request, in
// nanoseconds.
func (s Share) GCNs() float64 { return s.perRequest(s.GC) }

// MiddlewareSamples is the number of profile samples the middleware's
// share rests on: its relative sampling error is about one over its
// square root.
func (s Share) MiddlewareSamples() float64 { return s.Middleware * s.CPU / SamplePeriod }

// Ratio estimates the throughput of s, relative to the server base that
// receives the same requests without authentication, for servers bound
// by their own CPU: base's CPU time per request, over that time plus
// what s's middleware and the collection it causes add to it. Unlike
// req/s, it does not move with the rest of a shared machine: the two
// additions are s's own, and base's time per request only scales them.
// It is 0 when either server answered no requests.
func Ratio(base, s Share) float64 {
	b := base.CPUNs()
	if b == 0 || s.Requests == 0 {
		return 0
	}
	return b / (b + s.MiddlewareNs() - base.MiddlewareNs() + s.GCNs() - base.GCNs())
}
