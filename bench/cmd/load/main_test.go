package main

import "testing"

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
