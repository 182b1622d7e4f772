package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPaired: the paired lines are read into their own rows (medians of
// the passes) and kept out of the contender tables.
func TestPaired(t *testing.T) {
	out := `BenchmarkJWT/HS256/valid/gatehouse-2 	 1000	 3000 ns/op	 1024 B/op	 4 allocs/op
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 3338 gatehouse-ns/req	 300 handoff-ns/req	 2885 overhead-ns/req	 453.6 signature-ns/req	 2585 verify-ns/req	 1024 B/op	 4 allocs/op
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 3000 gatehouse-ns/req	 320 handoff-ns/req	 2600 overhead-ns/req	 400 signature-ns/req	 2280 verify-ns/req	 1024 B/op	 4 allocs/op
BenchmarkPairedOverhead/HS256/valid-2 	 10000	 30411 ns/op	 3100 gatehouse-ns/req	 310 handoff-ns/req	 2700 overhead-ns/req	 400 signature-ns/req	 2390 verify-ns/req	 1024 B/op	 4 allocs/op
BenchmarkPairedOverhead/RS256/bad-signature-2 	 500	 600000 ns/op	 46000 gatehouse-ns/req	 -350.0 overhead-ns/req	 46350 signature-ns/req	 1440 B/op	 10 allocs/op
`
	path := writeTemp(t, "micro.txt", out)
	rows, err := parsePaired(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].name != "HS256/valid" || rows[0].over != 2700 || rows[0].gatehouse != 3100 || rows[0].signature != 400 ||
		rows[0].handoff != 310 || rows[0].verify != 2390 || !rows[0].hasHandoff || rows[0].passes != 3 {
		t.Fatalf("rows %+v", rows)
	}
	if rows[1].name != "RS256/bad-signature" || rows[1].over != -350 || rows[1].hasHandoff {
		t.Fatalf("a negative overhead is read as %v", rows[1].over)
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
	if !strings.Contains(w.String(), "| HS256 · valid | 3.1 µs | 400 ns | +2.7 µs | 6.75× | 310 ns | +2.4 µs |") ||
		!strings.Contains(w.String(), "| RS256 · bad-signature | 46.0 µs | 46.4 µs | −350 ns | ") ||
		!strings.Contains(w.String(), " | — | — |\n") {
		t.Fatalf("table:\n%s", w.String())
	}
}
