// Package wrkout reads the summary wrk prints with --latency: the
// benchmark commands' one parser of it.
package wrkout

import (
	"errors"
	"regexp"
	"strconv"
)

// A Summary is what one wrk run reports.
type Summary struct {
	RPS      float64
	P50ms    float64
	P99ms    float64
	Requests int64
	Non2xx   int64
	Errors   int64 // socket errors: connect, read, write, timeout
}

var (
	rpsRe      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRe      = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxRe   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	requestsRe = regexp.MustCompile(`(\d+) requests in `)
	sockErrRe  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// Errors of Parse: the output lacks what every --latency run prints.
var (
	ErrNoRate    = errors.New("no Requests/sec")
	ErrNoLatency = errors.New("no latency distribution")
)

// Parse reads wrk's output out. The rate and the 50th and 99th
// percentiles are required; the request, non-2xx and socket-error counts
// are zero when wrk printed none.
func Parse(out string) (Summary, error) {
	var s Summary
	m := rpsRe.FindStringSubmatch(out)
	if m == nil {
		return s, ErrNoRate
	}
	s.RPS, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range pctRe.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		switch p[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if p[1] == "50" {
			s.P50ms = v
		} else {
			s.P99ms = v
		}
	}
	if s.P50ms == 0 || s.P99ms == 0 {
		return s, ErrNoLatency
	}
	if m := requestsRe.FindStringSubmatch(out); m != nil {
		s.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := non2xxRe.FindStringSubmatch(out); m != nil {
		s.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := sockErrRe.FindStringSubmatch(out); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.Errors += n
		}
	}
	return s, nil
}
