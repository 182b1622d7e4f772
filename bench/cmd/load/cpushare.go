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
	"github.com/gatehouse-go/gatehouse/bench/internal/loadcpu"
)

// serveFrame is the frame under which net/http runs a server's handler.
const serveFrame = "net/http.serverHandler.ServeHTTP"

// routeFrame is the name of the route's own handler function, fixture.NoContent.
var routeFrame = funcName(fixture.NoContent)

// funcName returns the name the runtime (and so a profile) gives h's
// function.
func funcName(h http.HandlerFunc) string {
	return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
}

// startCPUProfile profiles this process into path until the returned stop
// is called, which reports whether the profile was written whole.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// cpuShare reads the CPU profile at path, written by the server named
// server.
func cpuShare(server, path string) (loadcpu.Share, error) {
	f, err := os.Open(path)
	if err != nil {
		return loadcpu.Share{}, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return loadcpu.Share{}, fmt.Errorf("%s: %w", path, err)
	}
	return shareOf(server, p)
}

// shareOf computes the share of profile p, written by the server named
// server. A profile in which no sample shows net/http calling the handler
// is refused: its middleware share would read as zero.
func shareOf(server string, p *profile.Profile) (loadcpu.Share, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return loadcpu.Share{}, fmt.Errorf("%s: not a CPU profile", server)
	}
	var total, served, middleware, gc int64
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
		if serve {
			served += v
		}
		if serve && !route {
			middleware += v
		}
		if bg {
			gc += v
		}
	}
	if served == 0 {
		return loadcpu.Share{}, fmt.Errorf("%s: no sample of the profile shows %s", server, serveFrame)
	}
	return loadcpu.Share{Server: server, CPU: float64(total) / 1e9,
		Middleware: float64(middleware) / float64(total), GC: float64(gc) / float64(total)}, nil
}

// printShares writes the CPU shares as a table.
func printShares(shares []loadcpu.Share, bases map[string]loadcpu.Share) {
	fmt.Printf("\nCPU profile of each server over the whole run\n%-38s %8s %11s %8s %12s %8s %10s\n",
		"server", "CPU", "middleware", "samples", "per request", "GC", "CPU-bound")
	for _, s := range shares {
		fmt.Printf("%-38s %7.1fs %10.1f%% %8.0f %10.0fns %6.0fns %9.3fx\n", s.Server, s.CPU, 100*s.Middleware,
			s.MiddlewareSamples(), s.MiddlewareNs(), s.GCNs(), loadcpu.Ratio(bases[s.Server], s))
	}
}
