package main

import (
	"strings"
	"testing"
)

// TestHostControl: the control is the floor's median over the
// signature's median in JWT HS256/valid; the report stops above the
// limit, not at it, and never when the limit is 0 or the run lacks a cell.
func TestHostControl(t *testing.T) {
	const out = `BenchmarkJWT/HS256/valid/floor-2      	  100	      9000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/floor-2      	  100	     11000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/floor-2      	  100	     10000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/signature-2  	  100	       400 ns/op	       0 B/op	       0 allocs/op
BenchmarkJWT/HS256/valid/signature-2  	  100	       250 ns/op	       0 B/op	       0 allocs/op
BenchmarkJWT/HS256/valid/signature-2  	  100	       300 ns/op	       0 B/op	       0 allocs/op
`
	areas, err := parseBench(writeTemp(t, "micro.txt", out))
	if err != nil {
		t.Fatal(err)
	}
	ratio, ok := hostControl(areas)
	if !ok || ratio < 33.33 || ratio > 33.34 {
		t.Fatalf("host control %v %v, want 10000/300", ratio, ok)
	}
	if err := checkHost(ratio, ok, 32); err == nil || !strings.Contains(err.Error(), "33.3×") || !strings.Contains(err.Error(), "left as they were") {
		t.Fatalf("above the limit: %v", err)
	}
	for _, max := range []float64{0, 34, ratio} {
		if err := checkHost(ratio, ok, max); err != nil {
			t.Fatalf("limit %v: %v", max, err)
		}
	}
	if line := hostLine(ratio, 32); !strings.Contains(line, "33.3×") || !strings.Contains(line, "above 32×") {
		t.Fatalf("header line %q", line)
	}

	areas, err = parseBench(writeTemp(t, "micro.txt", strings.SplitAfter(out, "\n")[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hostControl(areas); ok {
		t.Fatal("a run without the signature cell has no host control")
	}
	if err := checkHost(0, false, 32); err != nil {
		t.Fatalf("no control: %v", err)
	}
}
