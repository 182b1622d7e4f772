package main

import (
	"strings"
	"testing"
	"time"
)

const wrkOutput = `Running 5s test @ http://127.0.0.1:40001/api/v1/products
  3 threads and 33 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    2.00ms  40.00ms   90.00%
  Latency Distribution
     50%    2.50ms
     75%    3.20ms
     90%    4.10ms
     99%   12.40ms
  43210 requests in 5.00s, 10.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   8642.00
Transfer/sec:      2.00MB
`

func TestParseWrk(t *testing.T) {
	got, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{RPS: 8642, P50ms: 2.5, P99ms: 12.4, Requests: 43210, Non2xx: 7, Errors: 3}
	if got != want {
		t.Errorf("parseWrk = %+v, want %+v", got, want)
	}
	if _, err := parseWrk("Requests/sec: 10\n"); err == nil {
		t.Error("output without a latency distribution was accepted")
	}
}

func TestWrkScriptSpreadsThreadsAndRefusesNonTokens(t *testing.T) {
	ins := []*instance{
		{host: "127.0.0.1", port: "40001", token: "aaa.bbb.ccc"},
		{host: "127.0.0.1", port: "40002", token: "ddd.eee.fff"},
	}
	s, err := wrkScript(ins)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"127.0.0.1", "40001", "aaa.bbb.ccc"}`, `{"127.0.0.1", "40002", "ddd.eee.fff"}`,
		"thread.addr = wrk.lookup(t[1], t[2])[1]", `wrk.headers["Authorization"] = "Bearer " .. token`} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	ins[1].token = `a.b.c"}; os.execute("x`
	if _, err := wrkScript(ins); err == nil {
		t.Error("a token that would break out of the Lua string was accepted")
	}
}

func TestParseCommandStatsAndRequestCalls(t *testing.T) {
	before := parseCommandStats("# Commandstats\r\ncmdstat_get:calls=10,usec=5,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=3,usec=1\r\ncmdstat_cluster|slots:calls=4,usec=1\r\n")
	after := parseCommandStats("cmdstat_get:calls=14,usec=5\r\ncmdstat_evalsha:calls=2,usec=9\r\n" +
		"cmdstat_info:calls=5,usec=1\r\ncmdstat_cluster|slots:calls=9,usec=1\r\n")
	if before["get"] != 10 || before["cluster|slots"] != 4 {
		t.Fatalf("parseCommandStats = %v", before)
	}
	d := requestCalls(before, after)
	if len(d) != 2 || d["get"] != 4 || d["evalsha"] != 2 {
		t.Errorf("requestCalls = %v, want get 4, evalsha 2 (info and cluster are bookkeeping)", d)
	}
}

func TestTallyCountsRoundTrips(t *testing.T) {
	lines := []string{
		`1796566359.1 [0 127.0.0.1:40336] "GET" "k"`,
		`1796566359.2 [0 127.0.0.1:40336] "evalsha" "abc" "1" "k"`,
		`1796566359.3 [0 lua] "HSET" "k" "f" "v"`, // run by the script: no round trip
		`1796566359.4 [0 127.0.0.1:40337] "MULTI"`,
		`1796566359.5 [0 127.0.0.1:40337] "DEL" "a"`,
		`1796566359.6 [0 127.0.0.1:40338] "GET" "other client, between"`,
		`1796566359.7 [0 127.0.0.1:40337] "HSET" "a" "f" "v"`,
		`1796566359.8 [0 127.0.0.1:40337] "EXEC"`,
		`1796566359.9 [0 127.0.0.1:40339] "cluster" "slots"`, // bookkeeping
		`1796566360.0 [0 127.0.0.1:40339] "PING"`,
		`not a monitor line`,
	}
	tl := newTally()
	for _, s := range lines {
		if l, ok := parseMonitorLine(s); ok {
			tl.add(l)
		}
	}
	if tl.roundTrips != 4 {
		t.Errorf("round trips = %d, want 4 (GET, EVALSHA, one MULTI…EXEC block, the other client's GET)", tl.roundTrips)
	}
	if tl.top["get"] != 2 || tl.top["evalsha"] != 1 || tl.top["multi"] != 1 || tl.top["hset"] != 0 || tl.top["del"] != 0 {
		t.Errorf("top-level commands = %v", tl.top)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# R\n\n## A\n\na\n\n## Fleet\n\nold\n\n```\n## not a heading\n```\n\n## B\n\nb\n"
	got := replaceSection(doc, "## Fleet\n\nnew\n")
	want := "# R\n\n## A\n\na\n\n## Fleet\n\nnew\n\n## B\n\nb\n"
	if got != want {
		t.Errorf("replaced:\n%q\nwant\n%q", got, want)
	}
	if got := replaceSection("# R\n\n## A\n\na\n", "## Fleet\n\nnew\n"); got != "# R\n\n## A\n\na\n\n## Fleet\n\nnew\n" {
		t.Errorf("appended: %q", got)
	}
	last := "# R\n\n## Fleet\n\nold\n"
	if got := replaceSection(last, "## Fleet\n\nnew\n"); got != "# R\n\n## Fleet\n\nnew\n" {
		t.Errorf("replaced the last section: %q", got)
	}
}

func TestPercentileAndLoopback(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 50; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(ds, 50); p != 25*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(ds, 99); p != 50*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	for addr, ok := range map[string]bool{"127.0.0.1:6480": true, "127.0.0.3:7200": true, "10.0.0.1:6379": false, "localhost:6379": false, "[::1]:6379": false} {
		if err := loopback(addr); (err == nil) != ok {
			t.Errorf("loopback(%q) = %v", addr, err)
		}
	}
}

func TestRoundRatiosPairRounds(t *testing.T) {
	r := &report{loads: map[string][]wrkResult{
		"single node × 1": {{RPS: 50, P99ms: 30}, {RPS: 30, P99ms: 10}},
		"memory × 1":      {{RPS: 100, P99ms: 10}, {RPS: 100, P99ms: 20}},
	}}
	rps, p99 := r.roundRatios("single node × 1", "memory × 1")
	if rps != "0.30, 0.50" || p99 != "0.50, 3.00" {
		t.Errorf("roundRatios = %q, %q; want each round against its own round, sorted", rps, p99)
	}
}
