package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/internal/loadcpu"
	"github.com/gatehouse-go/gatehouse/bench/internal/loadrun"
)

// TestLoadTables checks the load report's medians and lowest round, the
// table of CPU profiles (when the run took them) and the README's summary
// with the CPU-bound ratio, or a dash for a server without a profile.
func TestLoadTables(t *testing.T) {
	lr := &loadrun.Report{Rounds: 2, Duration: "3s", Warmup: "2s", Threads: 1, Connections: 64, FreshTokens: 64,
		Servers: []string{"no-auth", "gatehouse HS256"},
		Results: []loadrun.Result{
			{Round: 1, Server: "no-auth", RPS: 50000, Ratio: 1}, {Round: 1, Server: "gatehouse HS256", RPS: 48000, Ratio: 0.96},
			{Round: 2, Server: "no-auth", RPS: 40000, Ratio: 1}, {Round: 2, Server: "gatehouse HS256", RPS: 40000, Ratio: 1},
		},
		CPU: []loadcpu.Result{{Share: loadcpu.Share{Server: "gatehouse HS256", CPU: 20, Middleware: 0.025, GC: 0.02, Requests: 1e6},
			Base: "no-auth", CPUBound: 0.975}},
	}
	var w bytes.Buffer
	sum := loadTables(&w, lr)
	for _, want := range []string{
		"| gatehouse HS256 | 44000 | 0.00 ms | 0.00 ms | 0.98× | 0.96× |",
		"| server | CPU profiled | CPU per request | middleware | samples | middleware per request | GC per request | CPU-bound ratio |",
		"| gatehouse HS256 | 20.0 s | 20.0 µs | 2.5 % | 50 | 500 ns | 400 ns | 0.975× |",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("missing %q in\n%s", want, w.String())
		}
	}
	checkSummary(t, nil, sum, "| no-auth | 1.00× (1.00×) | – |", "| gatehouse HS256 | 0.98× (0.96×) | 0.975× |")
}
