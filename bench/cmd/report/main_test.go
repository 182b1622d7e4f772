package main

import (
	"os"
	"path/filepath"
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
	path := filepath.Join(t.TempDir(), "micro.txt")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
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
