// Command report turns one `go test -bench` run of the bench module and one
// cmd/load run into bench/RESULTS.md, and rewrites the summary table of
// bench/README.md (between its summary markers) with ratios only.
//
// Benchmark names follow Benchmark<Area>/<row…>/<contender>. In every row,
// "floor" is the least correct implementation, "signature" is the row's
// signature check alone (the cryptography every verifier pays),
// contenders ending in "-bare" are baselines (a framework, or the handler
// alone), names starting with "gatehouse" are gatehouse, and every other
// contender is a peer library. With -count > 1 each cell is the median of
// the runs. In an area with a "signature" contender, the tables add each
// row's overhead: gatehouse's time less the signature's (and the
// floor's), and a cache hit's time less the bare handler's.
//
// The report refuses to write when the run's host control (see
// hostControl) exceeds -max-host-ratio: a host that ran code-heavy work
// far slower than a tight loop measured itself, not the code.
//
// With -profile, every row in which gatehouse is not the fastest contender
// (floors and baselines aside) is profiled again on its own (-cpuprofile)
// and the top of `go tool pprof -top` is added to RESULTS.md, beside the
// hand-written analysis in -notes.
//
// Usage:
//
//	go run ./cmd/report -bench micro.txt -load load.json -notes NOTES.md -out RESULTS.md -readme README.md [-profile] [-max-host-ratio 32]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/bench/internal/loadcpu"
	"github.com/gatehouse-go/gatehouse/bench/internal/loadrun"
)

type sample struct {
	ns, bytes, allocs float64
}

// cell is one contender in one row: the median of its samples.
type cell struct {
	ns, allocs float64
	n          int
}

type row struct {
	area, name string // name: the path between area and contender, e.g. "HS256/valid"
	cells      map[string]cell
}

type area struct {
	name        string
	rows        []*row
	contenders  []string
	rowsByName  map[string]*row
	description string
}

var benchRe = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(?:\s+([0-9.]+) B/op)?(?:\s+([0-9.]+) allocs/op)?`)

var descriptions = map[string]string{
	"JWT": "JWT bearer middleware: a valid token, a token signed with another key of the same algorithm, " +
		"no Authorization header. `gatehouse` runs with its verified-token cache disabled (every request " +
		"is a first sight: full signature and claims verification); `gatehouse-cached` has the default cache " +
		"and reuses the token (every request but the first is a cache hit), so it is not compared with the " +
		"peers, which have no cache. `floor`: net/http + golang-jwt `ParseWithClaims` (alg, iss, aud, exp). " +
		"`signature`: the row's signature check alone, standard library only, on the same token taken apart " +
		"beforehand (HMAC-SHA-256 with a reused keyed hash and a constant-time compare; SHA-256 and RSA " +
		"PKCS #1 v1.5; SHA-256 and ECDSA P-256 on the DER form of R || S; Ed25519): the cryptography no " +
		"verifier avoids. `handler-bare`: the 204 handler alone. Overhead = time − signature time (a cache " +
		"hit's: time − handler-bare). " +
		"echo-jwt and gin-jwt check neither iss nor aud (no option short of replacing their parser); " +
		"their numbers include their framework, whose cost alone is `echo-bare` / `gin-bare`.",
	"APIKey": "API keys in a header, 1 or 10,000 issued keys: the valid key, a well-formed unknown key " +
		"(right format and checksum, so every contender must hash and look it up), no header. " +
		"`floor`: SHA-256 + map lookup on net/http; echo's KeyAuth runs the same SHA-256 + map lookup in its validator.",
	"IPAllow": "Static IP allowlists of N prefixes of the request's family: an address inside the middle " +
		"prefix (a linear scan finds it half-way) and an address outside all of them. `floor`: netip linear scan.",
	"RateLimit": "Per-client-address rate limiting, allow path (one client, a limit it never reaches). " +
		"`floor`: mutex + map + x/time/rate bucket, no headers; gatehouse and httprate also set rate-limit headers.",
}

func parseBench(path string) ([]*area, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	samples := map[string][]sample{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchRe.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(m[1], pairedArea+"/") {
			continue // paired lines are parsePaired's
		}
		var s sample
		s.ns, _ = strconv.ParseFloat(m[2], 64)
		s.bytes, _ = strconv.ParseFloat(m[3], 64)
		s.allocs, _ = strconv.ParseFloat(m[4], 64)
		if _, ok := samples[m[1]]; !ok {
			order = append(order, m[1])
		}
		samples[m[1]] = append(samples[m[1]], s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var areas []*area
	byName := map[string]*area{}
	for _, name := range order {
		parts := strings.Split(name, "/")
		if len(parts) < 3 {
			continue
		}
		an, rn, cn := parts[0], strings.Join(parts[1:len(parts)-1], "/"), parts[len(parts)-1]
		a := byName[an]
		if a == nil {
			a = &area{name: an, rowsByName: map[string]*row{}, description: descriptions[an]}
			byName[an] = a
			areas = append(areas, a)
		}
		r := a.rowsByName[rn]
		if r == nil {
			r = &row{area: an, name: rn, cells: map[string]cell{}}
			a.rowsByName[rn] = r
			a.rows = append(a.rows, r)
		}
		if !slices.Contains(a.contenders, cn) {
			a.contenders = append(a.contenders, cn)
		}
		ss := samples[name]
		r.cells[cn] = cell{ns: median(ss, func(s sample) float64 { return s.ns }),
			allocs: median(ss, func(s sample) float64 { return s.allocs }), n: len(ss)}
	}
	return areas, nil
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	return medianOf(v)
}

func isGatehouse(c string) bool { return strings.HasPrefix(c, "gatehouse") }
func isBaseline(c string) bool {
	return c == "floor" || c == "signature" || strings.HasSuffix(c, "-bare")
}

// overhead returns the time of contender c in r less that of base, and
// whether the row has both.
func overhead(r *row, c, base string) (cell, bool) {
	x, ok1 := r.cells[c]
	b, ok2 := r.cells[base]
	if !ok1 || !ok2 {
		return cell{}, false
	}
	return cell{ns: x.ns - b.ns, allocs: x.allocs - b.allocs}, true
}

// signedDur is dur for a difference, with its sign.
func signedDur(ns float64) string {
	if ns < 0 {
		return "−" + dur(-ns)
	}
	return "+" + dur(ns)
}
func isPeer(c string) bool { return !isGatehouse(c) && !isBaseline(c) }

// fastestPeer returns the fastest peer of r and its cell.
func fastestPeer(r *row) (string, cell, bool) {
	var best string
	var bc cell
	for c, v := range r.cells {
		if isPeer(c) && (best == "" || v.ns < bc.ns || (v.ns == bc.ns && c < best)) {
			best, bc = c, v
		}
	}
	return best, bc, best != ""
}

func dur(ns float64) string {
	switch {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

func ratio(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f×", x)
	case x >= 10:
		return fmt.Sprintf("%.1f×", x)
	case x >= 0.01:
		return fmt.Sprintf("%.2f×", x)
	case x > 0:
		// Tiny ratios read better as "1/N": gatehouse is N times faster.
		return fmt.Sprintf("1/%.0f", 1/x)
	default:
		return fmt.Sprintf("%.2f×", x)
	}
}

func rowLabel(name string) string { return strings.ReplaceAll(name, "/", " · ") }

// microTables writes one table per area: every contender's time and
// allocations, then gatehouse's ratios.
func microTables(w *bytes.Buffer, areas []*area) (behind []*row) {
	for _, a := range areas {
		fmt.Fprintf(w, "### %s\n\n%s\n\n", a.name, a.description)
		sig := slices.Contains(a.contenders, "signature")
		extra, extraAlign := "", ""
		if sig {
			extra, extraAlign = " gatehouse overhead | floor overhead |", "---:|---:|"
		}
		fmt.Fprintf(w, "| row | %s | gatehouse ÷ floor |%s fastest peer | gatehouse ÷ fastest peer |\n", strings.Join(a.contenders, " | "), extra)
		fmt.Fprintf(w, "|---|%s---:|%s---|---:|\n", strings.Repeat("---:|", len(a.contenders)), extraAlign)
		for _, r := range a.rows {
			fmt.Fprintf(w, "| %s |", rowLabel(r.name))
			for _, c := range a.contenders {
				v, ok := r.cells[c]
				if !ok {
					fmt.Fprint(w, " – |")
					continue
				}
				fmt.Fprintf(w, " %s · %.0f |", dur(v.ns), v.allocs)
			}
			g, gok := r.cells["gatehouse"]
			f, fok := r.cells["floor"]
			if gok && fok {
				fmt.Fprintf(w, " %s |", ratio(g.ns/f.ns))
			} else {
				fmt.Fprint(w, " – |")
			}
			if sig {
				for _, c := range []string{"gatehouse", "floor"} {
					if o, ok := overhead(r, c, "signature"); ok {
						fmt.Fprintf(w, " %s · %+.0f |", signedDur(o.ns), o.allocs)
					} else {
						fmt.Fprint(w, " – |")
					}
				}
			}
			if pn, pc, ok := fastestPeer(r); ok && gok {
				mark := ""
				if g.ns > pc.ns {
					mark = " (behind)"
					behind = append(behind, r)
				}
				fmt.Fprintf(w, " %s | %s%s |\n", pn, ratio(g.ns/pc.ns), mark)
			} else {
				fmt.Fprint(w, " – | – |\n")
			}
		}
		fmt.Fprintf(w, "\nCells: median ns/op · allocs/op. ")
		if sig {
			fmt.Fprintf(w, "Overheads: the contender's time less the signature check's, and its allocations less the check's (none). ")
			for _, base := range []struct{ name, label string }{
				{"handler-bare", "the bare handler"},
				{"handoff-bare", "the handoff control (`handoff-bare`: the bare handler behind the context and request copy any middleware needs to hand a Principal on)"},
			} {
				var parts []string
				for _, r := range a.rows {
					if o, ok := overhead(r, "gatehouse-cached", base.name); ok {
						parts = append(parts, fmt.Sprintf("%s %s · %+.0f", rowLabel(r.name), signedDur(o.ns), o.allocs))
					}
				}
				if len(parts) > 0 {
					fmt.Fprintf(w, "gatehouse's cache hit over %s: %s. ", base.label, strings.Join(parts, ", "))
				}
			}
		}
		if slices.Contains(a.contenders, "gatehouse-cached") {
			fmt.Fprintf(w, "gatehouse with the cache hit, ÷ floor: ")
			var parts []string
			for _, r := range a.rows {
				if c, ok := r.cells["gatehouse-cached"]; ok {
					if f, ok := r.cells["floor"]; ok {
						parts = append(parts, fmt.Sprintf("%s %s", rowLabel(r.name), ratio(c.ns/f.ns)))
					}
				}
			}
			fmt.Fprintf(w, "%s.", strings.Join(parts, ", "))
		}
		fmt.Fprint(w, "\n\n")
	}
	return behind
}

type loadSummary struct {
	server                         string
	rps, p50, p99, ratio, minRatio float64
	// cpuBound is the server's loadcpu.Ratio to its baseline; NaN when
	// the run did not profile it.
	cpuBound float64
}

func summarizeLoad(lr *loadrun.Report) []loadSummary {
	var out []loadSummary
	for _, s := range lr.Servers {
		var rs []sample
		var ratios, p50s, p99s []sample
		minRatio := math.Inf(1)
		for _, r := range lr.Results {
			if r.Server == s {
				rs = append(rs, sample{ns: r.RPS})
				ratios = append(ratios, sample{ns: r.Ratio})
				p50s = append(p50s, sample{ns: r.P50ms})
				p99s = append(p99s, sample{ns: r.P99ms})
				minRatio = min(minRatio, r.Ratio)
			}
		}
		if len(rs) == 0 {
			continue
		}
		id := func(s sample) float64 { return s.ns }
		cpuBound := math.NaN()
		for _, c := range lr.CPU {
			if c.Server == s {
				cpuBound = c.CPUBound
			}
		}
		out = append(out, loadSummary{server: s, rps: median(rs, id), ratio: median(ratios, id),
			p50: median(p50s, id), p99: median(p99s, id), minRatio: minRatio, cpuBound: cpuBound})
	}
	return out
}

func loadTables(w *bytes.Buffer, lr *loadrun.Report) []loadSummary {
	fmt.Fprintf(w, "Each server is a separate process on 127.0.0.1 serving one 204 route behind its middleware; "+
		"wrk -t%d -c%d, %s per server per round after a %s warm-up, %d interleaved rounds (every server once per "+
		"round, the order rotated each round). Ratio: the server's req/s ÷ the req/s, in the same round, of the no-auth "+
		"server that receives tokens of the same algorithm (the same request size; it ignores them). ",
		lr.Threads, lr.Connections, lr.Duration, lr.Warmup, lr.Rounds)
	if lr.FreshTokens > 0 {
		fmt.Fprintf(w, "Every run sends %d fresh valid tokens (one per connection's worth, never sent before in the run: "+
			"their jti names the round), in turn, from a wrk Lua script: each is a first sight once, then cache hits, as "+
			"for a fleet of clients each reusing its own token. ", lr.FreshTokens)
	} else {
		fmt.Fprint(w, "Every server receives the same Authorization header. ")
	}
	fmt.Fprint(w, "gatehouse runs with its default verified-token cache, except `gatehouse HS256 no cache` (cache disabled: "+
		"every request a full verification, for reference). The `handoff only (control)` servers authenticate nothing "+
		"but hand a prebuilt Principal to the handler as every middleware must (a context value and the request copy "+
		"that carries it): their ratio is the ceiling of any middleware that hands a Principal on the net/http way.\n\n")
	sum := summarizeLoad(lr)
	fmt.Fprint(w, "| server | req/s (median) | p50 | p99 | ratio to no-auth (median) | lowest round |\n|---|---:|---:|---:|---:|---:|\n")
	for _, s := range sum {
		fmt.Fprintf(w, "| %s | %.0f | %.2f ms | %.2f ms | %s | %s |\n", s.server, s.rps, s.p50, s.p99, ratio(s.ratio), ratio(s.minRatio))
	}
	cpuTable(w, lr.CPU)
	fmt.Fprint(w, "\nEvery round:\n\n| round | server | req/s | p50 | p99 | ratio |\n|---:|---|---:|---:|---:|---:|\n")
	for _, r := range lr.Results {
		fmt.Fprintf(w, "| %d | %s | %.0f | %.2f ms | %.2f ms | %s |\n", r.Round, r.Server, r.RPS, r.P50ms, r.P99ms, ratio(r.Ratio))
	}
	fmt.Fprintln(w)
	return sum
}

// cpuTable writes the table of the servers' CPU profiles, if the run took
// them.
func cpuTable(w *bytes.Buffer, cpu []loadcpu.Result) {
	if len(cpu) == 0 {
		return
	}
	fmt.Fprint(w, "\nWhere each server's CPU time went, from a CPU profile the server took of itself over the whole run "+
		"(`cmd/load -profile`; a sample each 10 ms of CPU). *Middleware* is the time under net/http's call of the "+
		"server's handler less the route's own handler: the middleware's work (for a no-auth server, nothing but the "+
		"call); its relative sampling error is about one over the square root of its samples. *Per request* divides "+
		"by the requests the server answered (wrk's count, warm-up included). *GC* is the collector's background work, "+
		"which no handler's stack shows. *CPU-bound ratio*: the no-auth server's CPU time per request (of the same "+
		"tokens, in the same run), over that time plus what this server's middleware and its extra collection add to "+
		"it, which is the ratio to no-auth of servers bound by their own CPU. The additions are the server's own, so "+
		"the rest of a shared machine moves this far less than req/s.\n\n")
	fmt.Fprint(w, "| server | CPU profiled | CPU per request | middleware | samples | middleware per request | GC per request | CPU-bound ratio |\n"+
		"|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cpu {
		fmt.Fprintf(w, "| %s | %.1f s | %s | %.1f %% | %.0f | %s | %s | %s |\n", c.Server, c.CPU, dur(c.CPUNs()), 100*c.Middleware,
			c.MiddlewareSamples(), dur(c.MiddlewareNs()), dur(c.GCNs()), cpuBoundRatio(c.CPUBound))
	}
}

// cpuBoundRatio formats a CPU-bound ratio with three decimals: a
// middleware that costs 1–3 % of a request moves only the third.
func cpuBoundRatio(r float64) string { return fmt.Sprintf("%.3f×", r) }

// profile re-runs one gatehouse benchmark of r under the CPU profiler and
// returns the top of pprof's report.
func profile(testBin, dir string, r *row) (string, error) {
	var parts []string
	for _, p := range append(append([]string{"Benchmark" + r.area}, strings.Split(r.name, "/")...), "gatehouse") {
		parts = append(parts, "^"+regexp.QuoteMeta(p)+"$")
	}
	prof := filepath.Join(dir, "cpu.prof")
	cmd := exec.Command(testBin, "-test.run=^$", "-test.bench="+strings.Join(parts, "/"),
		"-test.benchtime=1s", "-test.cpuprofile="+prof)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	cum, err := pprofTop(testBin, prof, "-cum", "-nodecount=40")
	if err != nil {
		return "", err
	}
	flat, err := pprofTop(testBin, prof, "-nodecount=12")
	if err != nil {
		return "", err
	}
	// The cumulative view without the harness's frames (testing, the
	// benchmark closures, the HandlerFunc adapters), at most 18 lines.
	var keep []string
	for i, l := range cum {
		if i > 0 && (strings.Contains(l, " testing.") || strings.Contains(l, "gatehouse/bench.") ||
			strings.Contains(l, "bench/contender.") || strings.Contains(l, "net/http.HandlerFunc.ServeHTTP") ||
			strings.Contains(l, "runtime.systemstack")) {
			continue
		}
		if len(keep) < 19 {
			keep = append(keep, l)
		}
	}
	return "cumulative:\n" + strings.Join(keep, "\n") + "\n\nflat:\n" + strings.Join(flat, "\n"), nil
}

// pprofTop runs go tool pprof -top with args and returns its table lines
// (header included), without pprof's preamble.
func pprofTop(testBin, prof string, args ...string) ([]string, error) {
	out, err := exec.Command("go", append(append([]string{"tool", "pprof", "-top"}, args...), testBin, prof)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pprof: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") {
			return lines[i:], nil
		}
	}
	return lines, nil
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", kb/(1<<20))
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average at report time " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d logical CPUs%s, %s/%s%s", model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, load)
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func main() {
	benchPath := flag.String("bench", "", "go test -bench output")
	loadPath := flag.String("load", "", "cmd/load JSON (optional)")
	notesPath := flag.String("notes", "", "hand-written analysis to include (optional)")
	envPath := flag.String("env", "", "lines about the run's conditions, one bullet each (optional)")
	outPath := flag.String("out", "RESULTS.md", "results file to write")
	readmePath := flag.String("readme", "", "README whose summary section to rewrite (optional)")
	doProfile := flag.Bool("profile", false, "profile the rows where gatehouse is not the fastest")
	command := flag.String("command", "./run.sh", "the command that produced the run, for the header")
	maxHost := flag.Float64("max-host-ratio", defaultMaxHostRatio, "refuse to write when the host control (golang-jwt floor ÷ HMAC check) exceeds this; 0: never")
	hostOnly := flag.Bool("check-host", false, "only check the host control of -bench against -max-host-ratio, print it and write nothing")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("report: ")

	areas, err := parseBench(*benchPath)
	if err != nil {
		log.Fatal(err)
	}
	if len(areas) == 0 {
		log.Fatalf("no benchmark results in %s", *benchPath)
	}
	host, hostOK := hostControl(areas)
	if err := checkHost(host, hostOK, *maxHost); err != nil {
		log.Fatal(err)
	}
	if *hostOnly {
		if hostOK {
			log.Print(hostLine(host, *maxHost))
		}
		return
	}
	paired, err := parsePaired(*benchPath)
	if err != nil {
		log.Fatal(err)
	}
	var lr *loadrun.Report
	if *loadPath != "" {
		b, err := os.ReadFile(*loadPath)
		if err != nil {
			log.Fatal(err)
		}
		lr = new(loadrun.Report)
		if err := json.Unmarshal(b, lr); err != nil {
			log.Fatal(err)
		}
	}

	var w bytes.Buffer
	fmt.Fprintf(&w, "# gatehouse bench results\n\nGenerated by `%s` on %s.\n\n", *command, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&w, "- Machine: %s\n- Go: %s\n", machine(), goVersion())
	fmt.Fprintf(&w, "- Micro-benchmarks: `go test -bench` of this module, %d passes over every benchmark (interleaved, so a burst of other load hits one pass, not one contender); each cell is the median of the passes.\n", samplesPerCell(areas))
	if *envPath != "" {
		b, err := os.ReadFile(*envPath)
		if err != nil {
			log.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				fmt.Fprintf(&w, "- %s\n", l)
			}
		}
	}
	if hostOK {
		fmt.Fprintf(&w, "- %s\n", hostLine(host, *maxHost))
	}
	fmt.Fprint(&w, "- Ratios below 1× mean gatehouse is faster. \"Peers\" are the other libraries; `floor` and `*-bare` are reference points, not contenders.\n\n")
	fmt.Fprint(&w, "## Micro-benchmarks (per request through the middleware, no network)\n\n")
	behind := microTables(&w, areas)
	pairedTable(&w, paired)

	var sum []loadSummary
	if lr != nil {
		fmt.Fprint(&w, "## Under load (wrk against servers on 127.0.0.1)\n\n")
		sum = loadTables(&w, lr)
	}

	fmt.Fprint(&w, "## Where gatehouse is not the fastest\n\n")
	if len(behind) == 0 {
		fmt.Fprint(&w, "In this run gatehouse is the fastest contender in every row.\n\n")
	} else {
		fmt.Fprint(&w, "Rows where a peer beat gatehouse in this run:\n\n")
		for _, r := range behind {
			pn, pc, _ := fastestPeer(r)
			g := r.cells["gatehouse"]
			fmt.Fprintf(&w, "- %s · %s: gatehouse %s, %s %s (%s)\n", r.area, rowLabel(r.name), dur(g.ns), pn, dur(pc.ns), ratio(g.ns/pc.ns))
		}
		fmt.Fprintln(&w)
	}
	if *notesPath != "" {
		b, err := os.ReadFile(*notesPath)
		if err != nil {
			log.Fatal(err)
		}
		w.Write(bytes.TrimSpace(b))
		fmt.Fprint(&w, "\n\n")
	}
	if *doProfile && len(behind) > 0 {
		dir, err := os.MkdirTemp("", "gatehouse-bench-prof")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "bench.test")
		if out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
			log.Fatalf("go test -c: %v\n%s", err, out)
		}
		fmt.Fprint(&w, "### CPU profiles of those rows\n\n`go tool pprof -top -cum` of gatehouse alone in each row (1 s of the benchmark):\n\n")
		for _, r := range behind {
			top, err := profile(bin, dir, r)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(&w, "<details><summary>%s · %s</summary>\n\n```\n%s\n```\n</details>\n\n", r.area, rowLabel(r.name), strings.TrimSpace(top))
		}
	}
	// Sections other commands write (fleet.sh's "## Fleet") survive this
	// rewrite of the file.
	if old, err := os.ReadFile(*outPath); err == nil {
		w.Write(foreignSections(old, "## Fleet"))
	}
	if err := os.WriteFile(*outPath, w.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if *readmePath != "" {
		if err := rewriteSummary(*readmePath, areas, sum); err != nil {
			log.Fatal(err)
		}
	}
}

func samplesPerCell(areas []*area) int {
	for _, a := range areas {
		for _, r := range a.rows {
			for _, c := range r.cells {
				return c.n
			}
		}
	}
	return 0
}

const (
	beginMarker = "<!-- summary:begin (written by cmd/report) -->"
	endMarker   = "<!-- summary:end -->"
)

// rewriteSummary replaces the README's summary section with ratios only:
// gatehouse ÷ floor and ÷ fastest peer per row, and the load ratios.
func rewriteSummary(path string, areas []*area, sum []loadSummary) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i, j := bytes.Index(b, []byte(beginMarker)), bytes.Index(b, []byte(endMarker))
	if i < 0 || j < i {
		return fmt.Errorf("%s: summary markers not found", path)
	}
	var w bytes.Buffer
	w.WriteString(beginMarker + "\n\n")
	w.WriteString("| area | row | gatehouse ÷ floor | gatehouse ÷ fastest peer (peer) | gatehouse ÷ signature alone |\n|---|---|---:|---:|---:|\n")
	for _, a := range areas {
		for _, r := range a.rows {
			g, ok := r.cells["gatehouse"]
			if !ok {
				continue
			}
			fl := "–"
			if f, ok := r.cells["floor"]; ok {
				fl = ratio(g.ns / f.ns)
			}
			pr := "–"
			if pn, pc, ok := fastestPeer(r); ok {
				pr = fmt.Sprintf("%s (%s)", ratio(g.ns/pc.ns), pn)
			}
			sg := "–"
			if s, ok := r.cells["signature"]; ok {
				sg = ratio(g.ns / s.ns)
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %s | %s |\n", a.name, rowLabel(r.name), fl, pr, sg)
			if c, ok := r.cells["gatehouse-cached"]; ok {
				pr := "–"
				if pn, pc, ok := fastestPeer(r); ok {
					pr = fmt.Sprintf("%s (%s)", ratio(c.ns/pc.ns), pn)
				}
				fl := "–"
				if f, ok := r.cells["floor"]; ok {
					fl = ratio(c.ns / f.ns)
				}
				sg := "–"
				if s, ok := r.cells["signature"]; ok {
					sg = ratio(c.ns / s.ns)
				}
				fmt.Fprintf(&w, "| %s | %s, cache hit | %s | %s | %s |\n", a.name, rowLabel(r.name), fl, pr, sg)
			}
		}
	}
	if len(sum) > 0 {
		w.WriteString("\nUnder load (req/s ÷ the req/s of the no-auth server receiving the same tokens, in the same round; fresh tokens each run; median of the rounds, lowest round in brackets; CPU-bound: the same ratio for servers bound by their own CPU, from each server's CPU profile over the whole run, which the rest of a shared machine moves far less):\n\n| server | ratio to no-auth | CPU-bound |\n|---|---:|---:|\n")
		for _, s := range sum {
			cb := "–"
			if !math.IsNaN(s.cpuBound) {
				cb = cpuBoundRatio(s.cpuBound)
			}
			fmt.Fprintf(&w, "| %s | %s (%s) | %s |\n", s.server, ratio(s.ratio), ratio(s.minRatio), cb)
		}
	}
	w.WriteString("\n" + endMarker)
	out := append(append(append([]byte{}, b[:i]...), w.Bytes()...), b[j+len(endMarker):]...)
	return os.WriteFile(path, out, 0o644)
}

// foreignSections returns the sections of a results file whose heading
// line is one of headings, each from its heading to the next "## "
// heading or the end, in the order they appear.
func foreignSections(md []byte, headings ...string) []byte {
	var out []byte
	lines := bytes.SplitAfter(md, []byte("\n"))
	keep := false
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte("## ")) {
			keep = slices.Contains(headings, strings.TrimSpace(string(l)))
		}
		if keep {
			out = append(out, l...)
		}
	}
	return out
}
