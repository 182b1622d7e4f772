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

func TestTallyCountsTopLevelCommands(t *testing.T) {
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
	if tl.topLevel != 4 {
		t.Errorf("top-level commands = %d, want 4 (GET, EVALSHA, one MULTI…EXEC block, the other client's GET)", tl.topLevel)
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

// roundTripOutput is `go test -v` output of examples/rewardstore's
// round-trip tests.
const roundTripOutput = `=== RUN   TestRoundTripsSingleNode
=== RUN   TestRoundTripsSingleNode/local_copy
    roundtrips_test.go:57: local copy, bearer: 0 waits, 0 commands
    roundtrips_test.go:57: local copy, login: 2 waits, 5 commands
    roundtrips_test.go:57: local copy, refresh: 2 waits, 3 commands
    roundtrips_test.go:57: local copy, logout: 1 waits, 1 commands
=== RUN   TestRoundTripsSingleNode/no_local_copy
    roundtrips_test.go:57: no local copy, bearer: 1 waits, 2 commands
    roundtrips_test.go:57: no local copy, login: 2 waits, 6 commands
    roundtrips_test.go:57: no local copy, refresh: 2 waits, 4 commands
    roundtrips_test.go:57: no local copy, logout: 2 waits, 2 commands
--- PASS: TestRoundTripsSingleNode (4.21s)
    --- PASS: TestRoundTripsSingleNode/local_copy (1.89s)
    --- PASS: TestRoundTripsSingleNode/no_local_copy (2.32s)
=== RUN   TestRoundTripsCluster
=== RUN   TestRoundTripsCluster/local_copy
    roundtrips_test.go:57: local copy, bearer: 0 waits, 0 commands
    roundtrips_test.go:57: local copy, login: 2 waits, 7 commands
    roundtrips_test.go:57: local copy, refresh: 2 waits, 3 commands
    roundtrips_test.go:57: local copy, logout: 1 waits, 1 commands
=== RUN   TestRoundTripsCluster/no_local_copy
    roundtrips_test.go:57: no local copy, bearer: 1 waits, 2 commands
    roundtrips_test.go:57: no local copy, login: 2 waits, 6 commands
    roundtrips_test.go:57: no local copy, refresh: 2 waits, 4 commands
    roundtrips_test.go:57: no local copy, logout: 2 waits, 2 commands
--- PASS: TestRoundTripsCluster (4.05s)
    --- PASS: TestRoundTripsCluster/local_copy (1.92s)
    --- PASS: TestRoundTripsCluster/no_local_copy (2.13s)
PASS
`

func TestParseWaits(t *testing.T) {
	got, err := parseWaits(roundTripOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]waitCost{
		"single node + local copy": {"bearer": {0, 0}, "login": {2, 5}, "refresh": {2, 3}, "logout": {1, 1}},
		"single node":              {"bearer": {1, 2}, "login": {2, 6}, "refresh": {2, 4}, "logout": {2, 2}},
		"cluster + local copy":     {"bearer": {0, 0}, "login": {2, 7}, "refresh": {2, 3}, "logout": {1, 1}},
		"cluster":                  {"bearer": {1, 2}, "login": {2, 6}, "refresh": {2, 4}, "logout": {2, 2}},
	}
	if len(got) != len(want) {
		t.Fatalf("parseWaits = %v, want %v", got, want)
	}
	for f, ops := range want {
		for op, c := range ops {
			if got[f][op] != c {
				t.Errorf("%s, %s = %+v, want %+v", f, op, got[f][op], c)
			}
		}
	}
}

func TestParseWaitsRefusesMissingAndBadCounts(t *testing.T) {
	const clusterLogin = "    roundtrips_test.go:57: local copy, login: 2 waits, 7 commands\n"
	if !strings.Contains(roundTripOutput, clusterLogin) {
		t.Fatal("the fixture lacks the cluster's login line")
	}
	for name, tc := range map[string]struct{ out, wantErr string }{
		"a line missing": {strings.Replace(roundTripOutput, clusterLogin, "", 1), "cluster + local copy login"},
		"a test skipped": {roundTripOutput[:strings.Index(roundTripOutput, "=== RUN   TestRoundTripsCluster")] +
			"=== RUN   TestRoundTripsCluster\n    redistest.go:146: no cluster\n--- SKIP: TestRoundTripsCluster (0.00s)\n",
			"no count logged for cluster bearer, cluster login"},
		"no output": {"", "no count logged for single node bearer"},
		"a count that is not a number": {strings.Replace(roundTripOutput, clusterLogin,
			"    roundtrips_test.go:57: local copy, login: two waits, 7 commands\n", 1), "unparsable count"},
		"an unknown mode": {strings.Replace(roundTripOutput, clusterLogin,
			"    roundtrips_test.go:57: some copy, login: 2 waits, 7 commands\n", 1), `unknown mode "some copy"`},
		"an unknown request type": {strings.Replace(roundTripOutput, clusterLogin,
			"    roundtrips_test.go:57: local copy, signup: 2 waits, 7 commands\n", 1), `unknown request type "signup"`},
		"a count twice":             {strings.Replace(roundTripOutput, clusterLogin, clusterLogin+clusterLogin, 1), "cluster + local copy, login: counted twice"},
		"a count outside the tests": {"=== RUN   TestOther\n" + clusterLogin + roundTripOutput, `logged by "TestOther"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseWaits(tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseWaits error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestMarkdownPutsWaitsInTheTables(t *testing.T) {
	waits, err := parseWaits(roundTripOutput)
	if err != nil {
		t.Fatal(err)
	}
	mem, cl := &fleet{name: "memory"}, &fleet{name: "cluster"}
	r := &report{
		setups: []setup{{fleet: mem, n: 1}, {fleet: cl, n: 1}, {fleet: cl, n: 3}},
		loads: map[string][]wrkResult{
			"memory × 1":  {{RPS: 20, P50ms: 1, P99ms: 2, Requests: 100}},
			"cluster × 1": {{RPS: 10, P50ms: 2, P99ms: 3, Requests: 50}},
			"cluster × 3": {{RPS: 12, P50ms: 2, P99ms: 4, Requests: 60}},
		},
		waits:       waits,
		commands:    map[string][]opCount{},
		propagation: map[string][]time.Duration{"cluster": {time.Millisecond, 3 * time.Millisecond}},
	}
	for _, f := range redisFleets {
		for _, op := range requestTypes {
			tl := newTally()
			tl.topLevel, tl.top["mget"] = 6, 6
			r.commands[f] = append(r.commands[f], opCount{op: op, n: 3, tally: tl, calls: map[string]int64{"mget": 6, "get": 3}})
		}
	}
	md, err := r.markdown()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| memory | 1 | 20 | 1.00 ms | 2.00 ms | 0 | — | — | — | — | — |\n",
		"| cluster | 1 | 10 | 2.00 ms | 3.00 ms | 0 | 1 | 2 | 2 | 2 | — |\n",
		"| cluster | 3 | 12 | 2.00 ms | 4.00 ms | 0 | 1 | 2 | 2 | 2 | 1.00 ms / 3.00 ms |\n",
		"| cluster + local copy | login | 2 | 7 | 2.00 | mget 2 | 3.00 |\n",
		"| single node | bearer | 1 | 2 | 2.00 | mget 2 | 3.00 |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section lacks %q:\n%s", want, md)
		}
	}

	delete(r.waits["cluster"], "refresh")
	if _, err := r.markdown(); err == nil || !strings.Contains(err.Error(), "cluster, refresh") {
		t.Errorf("markdown with a missing count: error = %v", err)
	}
	r.waits, _ = parseWaits(roundTripOutput)
	r.commands["cluster"] = r.commands["cluster"][:3]
	if _, err := r.markdown(); err == nil || !strings.Contains(err.Error(), "no MONITOR count for cluster, logout") {
		t.Errorf("markdown with a missing MONITOR count: error = %v", err)
	}
	r.commands["cluster"] = r.commands["single node"]
	delete(r.propagation, "cluster")
	if _, err := r.markdown(); err == nil || !strings.Contains(err.Error(), "no propagation measured for cluster") {
		t.Errorf("markdown with a missing propagation: error = %v", err)
	}
}
