package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

func TestParseWrk(t *testing.T) {
	const out = `Running 5s test @ http://127.0.0.1:40000/orders
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   620.10us  1.20ms  40.00ms   97.00%
    Req/Sec    98.00k     4.00k  105.00k    80.00%
  Latency Distribution
     50%  512.00us
     75%  700.00us
     90%    1.10ms
     99%    2.50ms
  490000 requests in 5.00s, 40.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  98000.50
Transfer/sec:      8.00MB
`
	res, err := parseWrk("x", out)
	if err != nil {
		t.Fatal(err)
	}
	if res.RPS != 98000.50 || res.P50ms != 0.512 || res.P99ms != 2.5 || res.Non2xx != 3 {
		t.Fatalf("got %+v", res)
	}
	if _, err := parseWrk("x", "garbage"); err == nil {
		t.Fatal("garbage parsed")
	}
}

// TestFreshTokens: each run's tokens are valid, distinct, and never those
// of another run; the script sends each in turn.
func TestFreshTokens(t *testing.T) {
	a, err := freshTokens("HS256", "round1", 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := freshTokens("HS256", "round2", 4)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tok := range append(a, b...) {
		if seen[tok] {
			t.Fatalf("token sent twice: %s", tok)
		}
		seen[tok] = true
	}
	h, err := contender.GatehouseBearer(fixture.Load("HS256"), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range a {
		w := fixture.NewWriter()
		h.ServeHTTP(w, fixture.Request("", "Authorization", "Bearer "+tok))
		if w.Code != http.StatusNoContent {
			t.Fatalf("fresh token refused: %d", w.Code)
		}
	}
	path, err := writeScript(t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range a {
		if strings.Count(string(src), tok) != 1 {
			t.Fatalf("script does not send %s once:\n%s", tok, src)
		}
	}
	if !strings.Contains(string(src), "request = function()") {
		t.Fatalf("no request function:\n%s", src)
	}
}

// TestBaselines: every server's tokens have exactly one no-auth server of
// the same algorithm, the baseline of its ratio (controls are not).
func TestBaselines(t *testing.T) {
	base := map[string]bool{}
	for _, s := range servers {
		if s.Alg == "" && !s.Control {
			if base[s.tokenAlg()] {
				t.Errorf("two baselines receive %s tokens", s.tokenAlg())
			}
			base[s.tokenAlg()] = true
		}
	}
	for _, s := range servers {
		if !base[s.tokenAlg()] {
			t.Errorf("%s: no no-auth server receives %s tokens", s.Name, s.tokenAlg())
		}
	}
}
