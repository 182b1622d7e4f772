// Package loadrun holds what the load comparison (cmd/load) writes with
// -json and its report (cmd/report) reads: the one definition of both.
package loadrun

import (
	"time"

	"github.com/gatehouse-go/gatehouse/bench/internal/loadcpu"
)

// Result is one wrk run.
type Result struct {
	Round  int     `json:"round"`
	Server string  `json:"server"`
	RPS    float64 `json:"rps"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	Ratio  float64 `json:"ratio"` // RPS / RPS of the no-auth server of the same round and token algorithm
	Non2xx int     `json:"non_2xx"`
	Tokens string  `json:"tokens"` // the algorithm of the tokens sent
	// Requests is the number of requests answered, as wrk counted them.
	Requests int64 `json:"requests"`
}

// Report is what cmd/load -json writes: the run's settings, every wrk
// run and, with -profile, each server's CPU profile.
type Report struct {
	Rounds      int    `json:"rounds"`
	Duration    string `json:"duration"`
	Warmup      string `json:"warmup"`
	Threads     int    `json:"threads"`
	Connections int    `json:"connections"`
	// FreshTokens is the number of distinct tokens each run sends, none
	// sent before in the run.
	FreshTokens int      `json:"fresh_tokens"`
	Results     []Result `json:"results"`
	// CPU is each server's CPU profile over the whole run (with -profile).
	CPU     []loadcpu.Result `json:"cpu,omitempty"`
	Servers []string         `json:"servers"`
	Started time.Time        `json:"started"`
}
