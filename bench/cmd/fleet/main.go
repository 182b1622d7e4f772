// Command fleet is the fleet benchmark of examples/rewardstore: 1 and 3
// instances in memory, on one Redis node and on a Redis Cluster, under
// wrk, with the sequential Redis round trips and the commands of each
// request type and the time a logout takes to reach the other instances.
// fleet.sh starts the Redis servers (on loopback ports of its own), builds
// rewardstore and its test binary and runs this command; see
// bench/README.md.
//
// Usage:
//
//	fleet -rewardstore bin -roundtrip-test rewardstore.test -single 127.0.0.1:6480 -cluster 127.0.0.1:7200,… [-short] [-results RESULTS.md] [-md results/fleet.md]
//
// Every instance listens on 127.0.0.1; only the given Redis addresses
// (loopback, checked) are contacted. The run is bounded by -timeout.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// settings of one run.
type settings struct {
	duration, warmup time.Duration
	rounds           int
	conns            int
	batch            int // requests of each type per MONITOR batch
	probes           int // propagation probes
	short            bool
}

func commandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

func main() {
	bin := flag.String("rewardstore", "", "the rewardstore binary (required)")
	testBin := flag.String("roundtrip-test", "", "examples/rewardstore's test binary (go test -c), whose round-trip tests count the sequential round trips (required)")
	single := flag.String("single", "", "host:port of the single Redis node (loopback)")
	clusterSeeds := flag.String("cluster", "", "comma list of the Redis Cluster's nodes (loopback)")
	short := flag.Bool("short", false, "short mode: 1s loads, 1 round, 20 requests per MONITOR batch, 5 probes; asserts no timings")
	results := flag.String("results", "", "rewrite the \"## Fleet\" section of this markdown file (full mode only)")
	mdOut := flag.String("md", "", "also write the section alone to this file (full mode only)")
	versions := flag.String("versions", "", "machine and tool versions to print with the table (fleet.sh passes them)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	workdir := flag.String("workdir", "", "directory for the wrk script and the instances' logs (default: a temporary one)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fleet: ")

	s := settings{duration: 5 * time.Second, warmup: time.Second, rounds: 5, conns: 32, batch: 200, probes: 50}
	if *short {
		s = settings{duration: time.Second, rounds: 1, conns: 32, batch: 20, probes: 5, short: true}
	}
	if *bin == "" || *testBin == "" || *single == "" || *clusterSeeds == "" {
		log.Fatal("-rewardstore, -roundtrip-test, -single and -cluster are required (run bench/fleet.sh)")
	}
	nodes := strings.Split(*clusterSeeds, ",")
	for _, a := range append([]string{*single}, nodes...) {
		if err := loopback(a); err != nil {
			log.Fatal(err)
		}
	}
	dir := *workdir
	if dir == "" {
		d, err := os.MkdirTemp("", "gatehouse-fleet-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep, err := run(ctx, s, *bin, *testBin, *single, nodes, dir)
	if err != nil {
		cancel()
		log.Fatalf("%v (instance logs in %s)", err, dir)
	}
	rep.versions = *versions
	md, err := rep.markdown()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println()
	fmt.Print(md)
	if *results != "" && !s.short {
		if err := writeSection(*results, md); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\nfleet: wrote the Fleet section of %s\n", *results)
	}
	if *mdOut != "" && !s.short {
		if err := os.WriteFile(*mdOut, []byte(md), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// loopback refuses an address outside 127.0.0.0/8.
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		return fmt.Errorf("%s: the bench contacts only 127.0.0.0/8", hostport)
	}
	return nil
}

// redisFleets are the fleets on Redis, as the report names them: the
// single node and the cluster, each without and with the local copy
// (redisstore.LocalCache) that Redis invalidates.
var redisFleets = []string{"single node", "single node + local copy", "cluster", "cluster + local copy"}

// A setup is one measured configuration.
type setup struct {
	fleet *fleet
	n     int // instances under load
}

func (s setup) name() string { return fmt.Sprintf("%s × %d", s.fleet.name, s.n) }

func run(ctx context.Context, s settings, bin, testBin, single string, clusterNodes []string, dir string) (*report, error) {
	clusterMasters, err := masters(clusterNodes)
	if err != nil {
		return nil, err
	}
	rep := &report{settings: s, started: time.Now().UTC(), commands: map[string][]opCount{},
		propagation: map[string][]time.Duration{}}
	fmt.Printf("fleet: rewardstore × 3 in memory, on %s and on a cluster (masters %s); %s\n",
		single, strings.Join(clusterMasters, ", "), s.describe())

	// Sequential round trips first: a count, not a timing, so it runs
	// before the fleets start, and a failure ends the run early.
	began := time.Now()
	rep.waits, err = measureWaits(ctx, testBin, dir, single, clusterNodes)
	if err != nil {
		return nil, err
	}
	fmt.Printf("fleet: the round-trip tests ran in %.1fs\n", time.Since(began).Seconds())
	for _, f := range redisFleets {
		for _, op := range requestTypes {
			c := rep.waits[f][op]
			fmt.Printf("%-24s %-7s %d sequential round trips, %d commands sent\n", f, op, c.waits, c.commands)
		}
	}
	prefix := fmt.Sprintf("fleet-%d:", time.Now().UnixNano())
	var fleets []*fleet
	defer func() {
		for _, f := range fleets {
			f.stop()
		}
	}()
	for _, c := range []struct {
		name, addr string
		nodes      []string
		local      bool
	}{
		{"memory", "", nil, false},
		{redisFleets[0], single, []string{single}, false},
		{redisFleets[1], single, []string{single}, true},
		{redisFleets[2], strings.Join(clusterNodes, ","), clusterMasters, false},
		{redisFleets[3], strings.Join(clusterNodes, ","), clusterMasters, true},
	} {
		fleetPrefix := prefix + strings.NewReplacer(" + ", "+", " ", "-").Replace(c.name) + ":"
		env := fleetEnv{bin: bin, redisAddr: c.addr, secret: newSecret(), prefix: fleetPrefix, local: c.local,
			logPath: filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".log")}
		f, err := startFleet(ctx, c.name, 3, env, c.nodes)
		if err != nil {
			return nil, err
		}
		fleets = append(fleets, f)
	}

	// Loads, interleaved: every setup once per round, the order rotated
	// each round, so a burst of other work on the machine hits one run of
	// a setup rather than all of them.
	var setups []setup
	for _, n := range []int{1, 3} {
		for _, f := range fleets {
			setups = append(setups, setup{fleet: f, n: n})
		}
	}
	rep.setups = setups
	rep.loads = make(map[string][]wrkResult)
	for round := range s.rounds {
		order := slices.Clone(setups)
		k := round % len(order)
		order = append(order[k:], order[:k]...)
		for _, st := range order {
			ins := st.fleet.instances[:st.n]
			if s.warmup > 0 {
				if _, err := runWrk(ctx, dir, ins, s.warmup, s.conns); err != nil {
					return nil, fmt.Errorf("%s warm-up: %w", st.name(), err)
				}
			}
			res, err := runWrk(ctx, dir, ins, s.duration, s.conns)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", st.name(), err)
			}
			fmt.Printf("round %d  %-30s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d requests, %d non-2xx, %d socket errors)\n",
				round+1, st.name(), res.RPS, res.P50ms, res.P99ms, res.Requests, res.Non2xx, res.Errors)
			// Under load a store timeout is a 503 (fail closed): counted and
			// reported, not fatal. A setup must answer 200s, though, and
			// every instance still must after the load.
			if res.Requests <= res.Non2xx {
				return nil, fmt.Errorf("%s: none of %d requests was answered 2xx", st.name(), res.Requests)
			}
			for _, in := range ins {
				if err := in.mustProducts(ctx, in.token); err != nil {
					return nil, fmt.Errorf("%s, after the load: %w", st.name(), err)
				}
			}
			rep.loads[st.name()] = append(rep.loads[st.name()], res)
		}
	}

	for _, f := range fleets[1:] {
		counts, err := countCommands(ctx, f, s.batch)
		if err != nil {
			return nil, fmt.Errorf("%s commands: %w", f.name, err)
		}
		rep.commands[f.name] = counts
		for _, c := range counts {
			fmt.Printf("%-24s %-7s %5.2f top-level commands, %5.2f commands run (%s)\n", f.name, c.op, c.topLevel(), c.commands(), c.breakdown())
		}
		delays, err := f.propagation(ctx, s.probes)
		if err != nil {
			return nil, fmt.Errorf("%s propagation: %w", f.name, err)
		}
		rep.propagation[f.name] = delays
		fmt.Printf("%-24s revocation propagation over %d probes: p50 %s, p99 %s\n", f.name, len(delays),
			fmtDur(percentile(delays, 50)), fmtDur(percentile(delays, 99)))
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return rep, nil
}

func (s settings) describe() string {
	return fmt.Sprintf("wrk %v per run after a %v warm-up, %d round(s), ~%d connections; %d requests of each type per MONITOR batch; %d propagation probes",
		s.duration, s.warmup, s.rounds, s.conns, s.batch, s.probes)
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// An opCount is what one batch of a request type cost on Redis.
type opCount struct {
	op    string
	n     int
	tally *tally           // top-level commands, from MONITOR
	calls map[string]int64 // INFO commandstats deltas, scripts' commands included
}

// topLevel is the top-level commands per request.
func (c opCount) topLevel() float64 { return float64(c.tally.topLevel) / float64(c.n) }

func (c opCount) commands() float64 {
	var t int64
	for _, v := range c.calls {
		t += v
	}
	return float64(t) / float64(c.n)
}

// breakdown lists the top-level commands per request, by name.
func (c opCount) breakdown() string {
	var parts []string
	for _, k := range sortedKeys(c.tally.top) {
		parts = append(parts, fmt.Sprintf("%s %.2g", k, float64(c.tally.top[k])/float64(c.n)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// warmSessions is how many sessions the round-trip count logs in,
// refreshes and logs out first: enough that, on the cluster, each master
// has run each script (a family's keys land on a random master, and a
// master that has not loaded a script costs the request an extra EVAL).
const warmSessions = 16

// countCommands sends n requests of each type, one at a time, to the
// fleet's first instance, after a warm-up (scripts loaded, connections
// open), and counts the commands each batch cost on the masters.
func countCommands(ctx context.Context, f *fleet, n int) ([]opCount, error) {
	a := f.instances[0]
	for range warmSessions {
		warm, err := a.login(ctx)
		if err == nil {
			err = a.mustProducts(ctx, warm.Access)
		}
		if err == nil {
			warm, err = a.refresh(ctx, warm.Refresh)
		}
		if err == nil {
			err = a.logout(ctx, warm.Access)
		}
		if err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	bearer, err := a.login(ctx)
	if err != nil {
		return nil, err
	}
	sessions := make([]pair, n)
	batches := []struct {
		op string
		fn func(i int) error
	}{
		{"bearer", func(int) error { return a.mustProducts(ctx, bearer.Access) }},
		{"login", func(i int) (err error) { sessions[i], err = a.login(ctx); return err }},
		{"refresh", func(i int) (err error) { sessions[i], err = a.refresh(ctx, sessions[i].Refresh); return err }},
		{"logout", func(i int) error { return a.logout(ctx, sessions[i].Access) }},
	}
	var out []opCount
	for bi, b := range batches {
		before, err := commandCalls(f.nodes)
		if err != nil {
			return nil, err
		}
		mon, err := startMonitor(f.nodes, fmt.Sprintf("gatehouse-fleet-marker-%d-%d", time.Now().UnixNano(), bi))
		if err != nil {
			return nil, err
		}
		for i := range n {
			if err := b.fn(i); err != nil {
				_, _ = mon.stop()
				return nil, fmt.Errorf("%s %d: %w", b.op, i, err)
			}
		}
		t, err := mon.stop()
		if err != nil {
			return nil, err
		}
		after, err := commandCalls(f.nodes)
		if err != nil {
			return nil, err
		}
		c := opCount{op: b.op, n: n, tally: t, calls: requestCalls(before, after)}
		if c.tally.topLevel == 0 && b.op != "bearer" {
			return nil, errors.New(b.op + ": no Redis command seen: is the instance on this Redis?")
		}
		out = append(out, c)
	}
	return out, nil
}
