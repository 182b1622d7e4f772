package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A report is everything one run measured.
type report struct {
	settings    settings
	started     time.Time
	versions    string
	setups      []setup
	loads       map[string][]wrkResult // setup name → one result per round
	waits       waitCounts             // sequential round trips, from the round-trip tests
	commands    map[string][]opCount   // fleet name → per request type, from MONITOR and commandstats
	propagation map[string][]time.Duration
}

// percentile is the nearest-rank percentile p (0–100] of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// medians returns the median req/s, p50 and p99 of a setup's rounds.
func (r *report) medians(name string) (rps, p50, p99 float64) {
	var a, b, c []float64
	for _, w := range r.loads[name] {
		a, b, c = append(a, w.RPS), append(b, w.P50ms), append(c, w.P99ms)
	}
	return median(a), median(b), median(c)
}

// roundRatios lists, sorted, the ratios of setup a to setup b within
// each round, for req/s and for p99.
func (r *report) roundRatios(a, b string) (rps, p99 string) {
	var rs, ps []float64
	for i, x := range r.loads[a] {
		if i < len(r.loads[b]) {
			y := r.loads[b][i]
			rs, ps = append(rs, x.RPS/y.RPS), append(ps, x.P99ms/y.P99ms)
		}
	}
	return ratioList(rs), ratioList(ps)
}

func ratioList(vs []float64) string {
	slices.Sort(vs)
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return strings.Join(parts, ", ")
}

// non2xx is the share of a setup's load requests not answered 2xx (503s:
// a store call that timed out), over all its rounds.
func (r *report) non2xx(name string) string {
	var bad, all int64
	for _, w := range r.loads[name] {
		bad, all = bad+w.Non2xx, all+w.Requests
	}
	if bad == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.2f%%)", bad, 100*float64(bad)/float64(all))
}

// waitCell is the sequential round trips of a request type on a Redis
// fleet, or an error when the run did not count them.
func (r *report) waitCell(fleet, op string) (string, error) {
	c, ok := r.waits[fleet][op]
	if !ok {
		return "", fmt.Errorf("report: no sequential round-trip count for %s, %s", fleet, op)
	}
	return strconv.Itoa(c.waits), nil
}

// markdown is the "## Fleet" section. A number the tables need and the
// run did not measure is an error, never an empty cell.
func (r *report) markdown() (string, error) {
	var b strings.Builder
	b.WriteString("## Fleet\n\n")
	b.WriteString("`bench/fleet.sh`: examples/rewardstore, 1 and 3 instances, in memory, on one Redis node and on a Redis Cluster " +
		"(3 masters, 3 replicas), each Redis setup also with `REDIS_LOCAL_CACHE` (the local copy Redis invalidates), all on 127.0.0.1 " +
		"(the script starts its own Redis servers). How each column is measured:\n\n")
	b.WriteString("- **req/s, p50, p99, non-2xx:** wrk, bearer `GET /api/v1/products` with the demo account's token " +
		"(the account has an IP allowlist, so every call checks it); with 3 instances wrk's threads are spread evenly over them. " +
		"non-2xx: the load's requests not answered 2xx over all rounds (a store call that timed out is a 503).\n")
	b.WriteString("- **sequential round trips:** how many times one request waited for Redis, counted exactly in process by " +
		"examples/rewardstore's `TestRoundTripsSingleNode` and `TestRoundTripsCluster` (run by the script against its own node " +
		"and cluster): the go-redis hook `redistest.RoundTrips` on an instance built as the command builds it counts a wait " +
		"whenever the request sends a command or pipeline while none of its others is outstanding, so commands sent together " +
		"(a pipeline, a MULTI…EXEC block, one pipeline per cluster node, concurrent commands) are one wait; it holds each " +
		"20 ms, as a distant Redis would, so that commands sent together overlap whatever the machine's load. " +
		"Login, refresh and logout: the highest of 4 requests after a warm-up of 8 sessions; bearer call: one call in steady " +
		"state. A property of the code, not of the load: the same for 1 and 3 instances.\n")
	b.WriteString("- **commands sent** (second table): the same tests' count of the commands the client sent for that request " +
		"(each command of a pipeline counted, a script call one).\n")
	b.WriteString("- **top-level commands:** the commands one instance of the fleet sent to the masters, from Redis `MONITOR`, " +
		"per request, the mean of a sequential batch of each type after a warm-up of 16 sessions; a command a script runs is " +
		"not counted, a MULTI…EXEC block counts as one, each command of a pipeline counts; bookkeeping (INFO, PING, CLUSTER, " +
		"HELLO, CLIENT, replication) is left out. Commands sent together count separately here and once in the waits.\n")
	b.WriteString("- **commands run:** `INFO commandstats` deltas over the same batch, summed over the masters, the commands " +
		"scripts run included.\n")
	b.WriteString("- **propagation:** log out on instance A, then poll B and C with the revoked token until both answer 401; " +
		"the delay from A's 200 to the later 401 (it includes one HTTP round trip).\n\n")
	fmt.Fprintf(&b, "Run of %s. %s.\n\n", r.started.Format("2006-01-02 15:04 UTC"), r.settings.describe())
	if r.versions != "" {
		fmt.Fprintf(&b, "Machine: %s.\n\n", r.versions)
	}
	b.WriteString("| setup | instances | req/s | p50 | p99 | non-2xx | sequential round trips: bearer call | login | refresh | logout | propagation p50 / p99 |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, st := range r.setups {
		rps, p50, p99 := r.medians(st.name())
		f := st.fleet.name
		cells := []string{"—", "—", "—", "—"} // in memory: no Redis
		if slices.Contains(redisFleets, f) {
			for i, op := range requestTypes {
				c, err := r.waitCell(f, op)
				if err != nil {
					return "", err
				}
				cells[i] = c
			}
		}
		prop := "—"
		if st.n > 1 && slices.Contains(redisFleets, f) {
			ds, ok := r.propagation[f]
			if !ok || len(ds) == 0 {
				return "", fmt.Errorf("report: no propagation measured for %s", f)
			}
			prop = fmtDur(percentile(ds, 50)) + " / " + fmtDur(percentile(ds, 99))
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f ms | %.2f ms | %s | %s | %s |\n", f, st.n, rps, p50, p99,
			r.non2xx(st.name()), strings.Join(cells, " | "), prop)
	}
	if r.settings.rounds > 1 {
		fmt.Fprintf(&b, "\nreq/s, p50 and p99: medians of %d interleaved rounds (each setup once per round, the order rotated).\n", r.settings.rounds)
	}
	memRPS, memP50, memP99 := r.medians("memory × 1")
	b.WriteString("\nOne instance on Redis ÷ one instance in memory, same run (issue 16's targets: req/s ≥ 0.85×, p99 ≤ 1.5×): " +
		"the ratio of the medians, then the ratios within each round (the two setups ran minutes apart at most), lowest to highest:\n\n")
	b.WriteString("| store | req/s ratio | per round | p99 ratio | per round | p50 ratio |\n|---|---:|---|---:|---|---:|\n")
	for _, f := range redisFleets {
		rps, p50, p99 := r.medians(f + " × 1")
		rpsRounds, p99Rounds := r.roundRatios(f+" × 1", "memory × 1")
		fmt.Fprintf(&b, "| %s | %.2f× | %s | %.2f× | %s | %.2f× |\n", f, rps/memRPS, rpsRounds, p99/memP99, p99Rounds, p50/memP50)
	}
	b.WriteString("\nOn this shared machine a p99 of one 5 s run mostly measures when other work took the cores " +
		"(the in-memory p99 varies several-fold between rounds); the p50 ratio is the steadier view of the same latency.\n")
	b.WriteString("\nPer request type, per request: the sequential round trips and commands sent (round-trip tests), " +
		"the top-level commands (MONITOR; the mean over the batch) and which they were, and every command Redis ran (commandstats):\n\n")
	b.WriteString("| store | request | sequential round trips | commands sent | top-level commands | by name | commands run |\n" +
		"|---|---|---:|---:|---:|---|---:|\n")
	for _, f := range redisFleets {
		for _, op := range requestTypes {
			w, ok := r.waits[f][op]
			if !ok {
				return "", fmt.Errorf("report: no sequential round-trip count for %s, %s", f, op)
			}
			i := slices.IndexFunc(r.commands[f], func(c opCount) bool { return c.op == op })
			if i < 0 {
				return "", fmt.Errorf("report: no MONITOR count for %s, %s", f, op)
			}
			c := r.commands[f][i]
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %.2f | %s | %.2f |\n", f, op, w.waits, w.commands, c.topLevel(), c.breakdown(), c.commands())
		}
	}
	b.WriteString("\nThe machine is shared with other work, so absolute timings are noisy; the in-memory and Redis setups ran interleaved " +
		"in the same run so that their ratios are comparable. The counts are exact for the code measured; the round-trip tests " +
		"report the most of 4 requests (the bearer call: one in steady state), MONITOR the mean of its batch (with the local copy " +
		"a bearer call's mean includes the first call's read after the warm-up's logouts invalidated the copy).\n")
	return b.String(), nil
}

// writeSection replaces the "## Fleet" section of the markdown file at
// path (up to the next "## " heading or the end) with section, or appends
// it when there is none; the rest of the file is kept as is.
func writeSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".fleet-tmp"
	if err := os.WriteFile(tmp, []byte(replaceSection(string(old), section)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func replaceSection(doc, section string) string {
	section = strings.TrimRight(section, "\n") + "\n"
	lines := strings.SplitAfter(doc, "\n")
	start, end := -1, len(lines)
	inFence := false
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(t, "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(t, "## ") {
			continue
		}
		if start < 0 && t == "## Fleet" {
			start = i
		} else if start >= 0 {
			end = i
			break
		}
	}
	if start < 0 {
		doc = strings.TrimRight(doc, "\n")
		if doc == "" {
			return section
		}
		return doc + "\n\n" + section
	}
	rest := strings.Join(lines[end:], "")
	if rest != "" {
		return strings.Join(lines[:start], "") + section + "\n" + rest
	}
	return strings.Join(lines[:start], "") + section
}
