package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBench(t *testing.T) {
	const out = `goos: linux
BenchmarkJWT/HS256/valid/gatehouse-2         	  100	      9000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/gatehouse-2         	  100	      7000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/gatehouse-2         	  100	      8000 ns/op	    3904 B/op	      61 allocs/op
BenchmarkJWT/HS256/valid/floor-2             	  100	      6000 ns/op	    3904 B/op	      60 allocs/op
BenchmarkJWT/HS256/valid/auth0-2             	  100	     27000 ns/op	   18524 B/op	     236 allocs/op
BenchmarkJWT/HS256/valid/echo-bare-2         	  100	        50.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkJWT/HS256/valid/echo-jwt-2          	  100	      7500 ns/op	       0 B/op	      85 allocs/op
PASS
`
	path := writeTemp(t, "micro.txt", out)
	areas, err := parseBench(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 1 || areas[0].name != "JWT" || len(areas[0].rows) != 1 {
		t.Fatalf("areas: %+v", areas)
	}
	r := areas[0].rows[0]
	if r.name != "HS256/valid" || r.cells["gatehouse"].ns != 8000 || r.cells["gatehouse"].allocs != 63 || r.cells["gatehouse"].n != 3 {
		t.Fatalf("row: %+v", r)
	}
	// floor and echo-bare are reference points, never the fastest peer.
	if name, c, ok := fastestPeer(r); !ok || name != "echo-jwt" || c.ns != 7500 {
		t.Fatalf("fastest peer %s %+v", name, c)
	}
}

func TestForeignSectionsSurvive(t *testing.T) {
	const md = "# Results\n\n## Micro\n\nold table\n\n## Fleet\n\nfleet table\n\n## Later\n\nx\n"
	if got := string(foreignSections([]byte(md), "## Fleet")); got != "## Fleet\n\nfleet table\n\n" {
		t.Fatalf("got %q", got)
	}
	if got := foreignSections([]byte("# Results\n"), "## Fleet"); len(got) != 0 {
		t.Fatalf("got %q", got)
	}
}

// TestOverheadColumns: an area with a signature row shows each row's
// overhead over the signature check, and the cache hit's over the bare
// handler; the signature and the bare handler are never the fastest peer.
func TestOverheadColumns(t *testing.T) {
	const out = `BenchmarkJWT/HS256/valid/gatehouse-2         	  100	      1300 ns/op	    1024 B/op	       3 allocs/op
BenchmarkJWT/HS256/valid/gatehouse-cached-2  	  100	       250 ns/op	     416 B/op	       2 allocs/op
BenchmarkJWT/HS256/valid/floor-2             	  100	      6000 ns/op	    3904 B/op	      63 allocs/op
BenchmarkJWT/HS256/valid/echo-jwt-2          	  100	      7500 ns/op	       0 B/op	      85 allocs/op
BenchmarkJWT/HS256/valid/handler-bare-2      	  100	        10 ns/op	       0 B/op	       0 allocs/op
BenchmarkJWT/HS256/valid/signature-2         	  100	       400 ns/op	       0 B/op	       0 allocs/op
`
	path := writeTemp(t, "micro.txt", out)
	areas, err := parseBench(path)
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	microTables(&w, areas)
	got := w.String()
	for _, want := range []string{
		"| gatehouse ÷ floor | gatehouse overhead | floor overhead | fastest peer |",
		"| 0.22× | +900 ns · +3 | +5.6 µs · +63 | echo-jwt | 0.17× |",
		"cache hit over the bare handler: HS256 · valid +240 ns · +2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	checkSummary(t, areas, nil, "| JWT | HS256 · valid | 0.22× | 0.17× (echo-jwt) | 3.25× |", "| JWT | HS256 · valid, cache hit | 0.04× | 0.03× (echo-jwt) | 0.62× |")
}

// checkSummary writes the README summary of areas and sum into a README
// of nothing else and checks that it holds each of wants.
func checkSummary(t *testing.T, areas []*area, sum []loadSummary, wants ...string) {
	t.Helper()
	readme := writeTemp(t, "README.md", "x\n"+beginMarker+"\n"+endMarker+"\n")
	if err := rewriteSummary(readme, areas, sum); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(readme)
	for _, want := range wants {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary: missing %q in\n%s", want, b)
		}
	}
}

// writeTemp writes content to a file name in a new temporary directory
// and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
