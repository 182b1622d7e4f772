package main

import (
	"fmt"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// A CPUShare is what a server's CPU profile, taken over the whole run,
// says of where its CPU time went. Throughput ratios move with the rest of
// a shared machine from one run to the next; a share of one process's
// own CPU time, measured while it served every round, does not.
type CPUShare struct {
	Server string `json:"server"`
	// CPU is the CPU time the profile saw, in seconds (a sample each
	// 10 ms the process ran).
	CPU float64 `json:"cpu_s"`
	// Middleware is the share of CPU time spent in the server's handler
	// less the route's own handler (fixture.NoContent): the middleware,
	// or, for the no-auth servers, nothing but net/http's call.
	Middleware float64 `json:"middleware"`
	// GC is the share spent in the garbage collector's background
	// workers, which no handler's stack shows.
	GC float64 `json:"gc"`
	// Requests is the number of requests the server answered in the
	// run, warm-up included (wrk's rate times its duration).
	Requests float64 `json:"requests"`
}

// MiddlewareNs is the middleware's CPU time per request, in nanoseconds.
func (s CPUShare) MiddlewareNs() float64 {
	if s.Requests == 0 {
		return 0
	}
	return s.Middleware * s.CPU * 1e9 / s.Requests
}

// serveFrame is the frame under which net/http runs a server's handler.
const serveFrame = "net/http.serverHandler.ServeHTTP"

// routeFrame is the name of the route's own handler function, fixture.NoContent.
var routeFrame = funcName(fixture.NoContent)

func funcName(h http.HandlerFunc) string {
	return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
}

// startCPUProfile profiles this process into path until the returned stop
// is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// cpuShare reads the CPU profile at path, written by the server named
// server.
func cpuShare(server, path string) (CPUShare, error) {
	f, err := os.Open(path)
	if err != nil {
		return CPUShare{}, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return CPUShare{}, fmt.Errorf("%s: %w", path, err)
	}
	return shareOf(server, p)
}

// shareOf computes the CPUShare of profile p.
func shareOf(server string, p *profile.Profile) (CPUShare, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return CPUShare{}, fmt.Errorf("%s: not a CPU profile", server)
	}
	var total, middleware, gc int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		var serve, route, bg bool
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if l.Function == nil {
					continue
				}
				switch name := l.Function.Name; {
				case name == serveFrame:
					serve = true
				case name == routeFrame:
					route = true
				case strings.HasPrefix(name, "runtime.gcBgMarkWorker"):
					bg = true
				}
			}
		}
		if serve && !route {
			middleware += v
		}
		if bg {
			gc += v
		}
	}
	if total == 0 {
		return CPUShare{}, fmt.Errorf("%s: the profile holds no samples", server)
	}
	return CPUShare{Server: server, CPU: float64(total) / 1e9,
		Middleware: float64(middleware) / float64(total), GC: float64(gc) / float64(total)}, nil
}

// printShares writes the CPU shares as a table.
func printShares(shares []CPUShare) {
	fmt.Printf("\nCPU profile of each server over the whole run\n%-38s %8s %11s %12s %7s %18s\n",
		"server", "CPU", "middleware", "per request", "GC", "CPU-bound ratio")
	for _, s := range shares {
		fmt.Printf("%-38s %7.1fs %10.1f%% %10.0fns %6.1f%% %17.3fx\n", s.Server, s.CPU, 100*s.Middleware, s.MiddlewareNs(), 100*s.GC, 1-s.Middleware)
	}
}
