package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPaired checks that the paired lines are read into their own rows
// (medians of the passes), the cache control's rows with their typical
// differences alone, and kept out of the contender tables.
func TestPaired(t *testing.T) {
	out := `BenchmarkJWT/HS256/valid/gatehouse-2 	 1000	 3000 ns/op	 1024 B/op	 4 allocs/op
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 1000 beyond-median-ns/req	 2400 beyond-ns/req	 300 control-ns/req	 3338 gatehouse-ns/req	 1100 overhead-median-ns/req	 2885 overhead-ns/req	 453.6 signature-ns/req
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 900 beyond-median-ns/req	 2280 beyond-ns/req	 320 control-ns/req	 3000 gatehouse-ns/req	 1000 overhead-median-ns/req	 2600 overhead-ns/req	 400 signature-ns/req
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 950 beyond-median-ns/req	 2390 beyond-ns/req	 310 control-ns/req	 3100 gatehouse-ns/req	 1050 overhead-median-ns/req	 2700 overhead-ns/req	 400 signature-ns/req
BenchmarkPairedOverhead/RS256/bad-signature-2 	 500	 600000 ns/op	 -500 beyond-median-ns/req	 -400 beyond-ns/req	 50 control-ns/req	 46000 gatehouse-ns/req	 -300 overhead-median-ns/req	 -350.0 overhead-ns/req	 46350 signature-ns/req
BenchmarkPairedOverhead/ES256/valid-2 	 500	 600000 ns/op	 70000 gatehouse-ns/req	 2000 overhead-ns/req	 68000 signature-ns/req
BenchmarkPairedOverhead/HS256/valid-after-RS256-2 	 2000	 1000000 ns/op	 1200 beyond-median-ns/req	 1400 overhead-median-ns/req
BenchmarkPairedOverhead/HS256/bad-signature-after-EdDSA-2 	 2000	 1000000 ns/op	 250 beyond-median-ns/req	 420 overhead-median-ns/req
`
	path := writeTemp(t, "micro.txt", out)
	rows, err := parsePaired(path)
	if err != nil {
		t.Fatal(err)
	}
	want := pairedRow{name: "HS256/valid", gatehouse: 3100, signature: 400, over: 2700, overMedian: 1050,
		control: 310, beyond: 2390, beyondMedian: 950, passes: 3}
	if len(rows) != 5 || rows[0] != want {
		t.Fatalf("rows %+v", rows)
	}
	if rows[1].name != "RS256/bad-signature" || rows[1].over != -350 || rows[1].beyondMedian != -500 || rows[1].passes != 1 {
		t.Fatalf("negative differences are read as %+v", rows[1])
	}
	areas, err := parseBench(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 1 || areas[0].name != "JWT" {
		t.Fatalf("the paired lines leaked into the areas: %+v", areas)
	}
	var w bytes.Buffer
	pairedTable(&w, rows)
	if !strings.Contains(w.String(), "| HS256 · valid | 3.1 µs | 400 ns | +2.7 µs | +1.1 µs | +310 ns | +2.4 µs | +950 ns |\n") ||
		!strings.Contains(w.String(), "| RS256 · bad-signature | 46.0 µs | 46.4 µs | −350 ns | −300 ns | +50 ns | −400 ns | −500 ns |\n") ||
		!strings.Contains(w.String(), "| ES256 · valid | 70.0 µs | 68.0 µs | +2.0 µs | — | — | — | — |\n") ||
		!strings.Contains(w.String(), "| HS256 · valid, *after an RS256 check* | — | — | — | +1.4 µs | — | — | +1.2 µs |\n") ||
		!strings.Contains(w.String(), "| HS256 · bad-signature, *after an EdDSA check* | — | — | — | +420 ns | — | — | +250 ns |\n") {
		t.Fatalf("table:\n%s", w.String())
	}
}
