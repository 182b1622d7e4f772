// Command load compares the throughput of small HTTP servers that differ
// only in their authentication middleware. It starts each server as a
// child process of itself on 127.0.0.1 (an ephemeral port; nothing but
// loopback is ever contacted), checks that it accepts a valid token and
// refuses a request without one, then drives the servers with wrk one at a
// time, in interleaved rounds (every server once per round, the order
// rotated each round), and prints requests per second, p50 and p99 latency
// and each server's ratio to the no-auth server of the same round that
// receives tokens of the same algorithm (requests of the same size).
//
// Every wrk run sends fresh tokens: as many valid tokens as connections,
// never sent before in the run (their jti names the round), taken in turn
// by a wrk Lua script — the server sees one first sight per token, then
// the cache hits of a fleet of clients each reusing its own token, rather
// than one token for every connection.
//
// Usage:
//
//	go run ./cmd/load [-rounds 5] [-duration 3s] [-warmup 2s] [-connections 64] [-json out.json] [-profile dir]
//
// With -profile, each server profiles its own CPU over the whole run into
// dir (server-N.pprof, N its place in the list of servers), and the
// report gives the share of it spent in the middleware (the server's
// handler less the route's) and in the garbage collector, each per
// request, and loadcpu.Ratio: the throughput, relative to the no-auth
// server, of a server bound by its own CPU. That estimate moves far less
// with the rest of a shared machine than req/s does.
//
// wrk must be on PATH (load.sh installs it from the distribution's packages).
// The whole run is bounded: -timeout (default 10m) kills everything.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/bench/contender"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
	"github.com/gatehouse-go/gatehouse/bench/internal/loadcpu"
	"github.com/gatehouse-go/gatehouse/bench/internal/loadrun"
	"github.com/gatehouse-go/gatehouse/bench/internal/wrkout"
)

// A server is one contender of the load comparison.
type server struct {
	Name string
	Alg  string // "" for no auth
	// Tokens is the algorithm of the tokens sent: Alg, or for a no-auth
	// server the algorithm of the servers it is the baseline of.
	Tokens string
	// Control marks a server without auth that is not the baseline (the
	// ratio of each server is to the no-auth server of its tokens).
	Control bool
	New     func(a *fixture.Alg) (http.Handler, error)
}

// tokenAlg is the algorithm of the tokens s receives.
func (s server) tokenAlg() string {
	if s.Tokens != "" {
		return s.Tokens
	}
	return s.Alg
}

var (
	noAuth      = func(*fixture.Alg) (http.Handler, error) { return fixture.NoContent, nil }
	handoffOnly = func(*fixture.Alg) (http.Handler, error) { return contender.Handoff(fixture.NoContent), nil }
)

var servers = []server{
	{Name: "no-auth", Tokens: "HS256", New: noAuth},
	{Name: "no-auth (RS256 tokens)", Tokens: "RS256", New: noAuth},
	// Controls, not contenders: no auth, but the Principal handed on as
	// gatehouse hands it (contender.Handoff), the ceiling of any
	// middleware that hands a Principal on the net/http way.
	{Name: "handoff only (control)", Tokens: "HS256", Control: true, New: handoffOnly},
	{Name: "handoff only (control, RS256 tokens)", Tokens: "RS256", Control: true, New: handoffOnly},
	{Name: "gatehouse HS256", Alg: "HS256", New: func(a *fixture.Alg) (http.Handler, error) { return contender.GatehouseBearer(a, true) }},
	{Name: "gatehouse RS256", Alg: "RS256", New: func(a *fixture.Alg) (http.Handler, error) { return contender.GatehouseBearer(a, true) }},
	// Not in the list: every request a first sight, for reference.
	{Name: "gatehouse HS256 no cache", Alg: "HS256", New: func(a *fixture.Alg) (http.Handler, error) { return contender.GatehouseBearer(a, false) }},
	{Name: "auth0 HS256", Alg: "HS256", New: contender.Auth0},
	{Name: "auth0 RS256", Alg: "RS256", New: contender.Auth0},
	{Name: "jwtauth HS256", Alg: "HS256", New: contender.JWTAuth},
}

func main() {
	serve := flag.String("serve", "", "internal: run one server (by name) and print its address")
	rounds := flag.Int("rounds", 5, "interleaved rounds (at least 2)")
	duration := flag.Duration("duration", 3*time.Second, "wrk duration per server per round")
	warmup := flag.Duration("warmup", 2*time.Second, "wrk warm-up per server before the first round (discarded)")
	conns := flag.Int("connections", 64, "wrk connections")
	threads := flag.Int("threads", 1, "wrk threads (the server gets the other core)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	jsonOut := flag.String("json", "", "write the results as JSON to this file")
	profDir := flag.String("profile", "", "profile each server's CPU over the whole run into this directory (kept) and report the middleware's share")
	cpuProfile := flag.String("cpuprofile", "", "internal: with -serve, write a CPU profile of the server here")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("load: ")

	if *serve != "" {
		if err := runServer(*serve, *cpuProfile); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *rounds < 2 {
		log.Fatal("-rounds must be at least 2")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep := loadrun.Report{Rounds: *rounds, Duration: duration.String(), Warmup: warmup.String(),
		Threads: *threads, Connections: *conns, FreshTokens: *conns, Started: time.Now().UTC()}
	err := drive(ctx, &rep, *duration, *warmup, *profDir)
	if err != nil {
		log.Fatal(err)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func find(name string) (server, bool) {
	for _, s := range servers {
		if s.Name == name {
			return s, true
		}
	}
	return server{}, false
}

// runServer serves one contender on an ephemeral loopback port until its
// standard input closes (the parent exits or kills it), profiling its CPU
// into cpuProfile when that is not empty.
func runServer(name, cpuProfile string) error {
	s, ok := find(name)
	if !ok {
		return fmt.Errorf("unknown server %q", name)
	}
	var a *fixture.Alg
	if s.Alg != "" {
		a = fixture.Load(s.Alg)
	}
	h, err := s.New(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stop := func() error { return nil }
	if cpuProfile != "" {
		if stop, err = startCPUProfile(cpuProfile); err != nil {
			return err
		}
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := stop(); err != nil {
			log.Fatalf("%s: the CPU profile: %v", name, err)
		}
		os.Exit(0)
	}()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

type running struct {
	server
	addr  string
	token string // a valid token of the server's token algorithm, for check
	cmd   *exec.Cmd
	stdin io.Closer
	prof  string // where the server writes its CPU profile, if it does
}

// start starts s as a child process, which writes its CPU profile to prof
// when prof is not empty.
func start(ctx context.Context, self string, s server, prof string) (*running, error) {
	args := []string{"-serve", s.Name}
	if prof != "" {
		args = append(args, "-cpuprofile", prof)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s: no address: %w", s.Name, err)
	}
	r := &running{server: s, addr: strings.TrimSpace(line), cmd: cmd, stdin: stdin, prof: prof}
	r.token = "Bearer " + fixture.Load(s.tokenAlg()).Valid
	return r, nil
}

// freshTokens returns n valid tokens of alg that no run has sent before:
// their jti names the run.
func freshTokens(alg, run string, n int) ([]string, error) {
	a := fixture.Load(alg)
	out := make([]string, n)
	for i := range out {
		tok, err := a.Sign(fmt.Sprintf("load-%s-%d", run, i))
		if err != nil {
			return nil, err
		}
		out[i] = tok
	}
	return out, nil
}

// writeScript writes a wrk Lua script that sends the tokens in turn, one
// Authorization header per request, the requests formatted once.
func writeScript(dir string, tokens []string) (string, error) {
	var b strings.Builder
	b.WriteString("local tokens = {\n")
	for _, t := range tokens {
		fmt.Fprintf(&b, "  \"Bearer %s\",\n", t)
	}
	// The requests are formatted in init, once wrk has set the Host
	// header from the URL.
	b.WriteString("}\nlocal reqs = {}\nlocal i = 0\n" +
		"init = function(args)\n  for k, t in ipairs(tokens) do\n    reqs[k] = wrk.format(nil, nil, { [\"Authorization\"] = t })\n  end\nend\n" +
		"request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
	f, err := os.CreateTemp(dir, "tokens-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// stop closes the server's standard input, on which it stops (writing
// its CPU profile), and waits for it, killing it after 3 s. It reports
// whether the server exited by itself and succeeded. Stopping a stopped
// server does nothing.
func (r *running) stop() error {
	if r.cmd.ProcessState != nil {
		return nil
	}
	_ = r.stdin.Close()
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not stop within 3 s and was killed", r.Name)
	}
	if !r.cmd.ProcessState.Success() {
		return fmt.Errorf("%s: %s", r.Name, r.cmd.ProcessState)
	}
	return nil
}

// check makes sure the server accepts the shared token with 204 and, when
// it authenticates, refuses a request without one with 401.
func (r *running) check(ctx context.Context) error {
	get := func(header string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+fixture.Path, nil)
		if err != nil {
			return 0, err
		}
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode, nil
	}
	if code, err := get(r.token); err != nil || code != http.StatusNoContent {
		return fmt.Errorf("%s: with the token: status %d, %v", r.Name, code, err)
	}
	if r.Alg != "" {
		if code, err := get(""); err != nil || code != http.StatusUnauthorized {
			return fmt.Errorf("%s: without a token: status %d, %v", r.Name, code, err)
		}
	}
	return nil
}

func drive(ctx context.Context, rep *loadrun.Report, duration, warmup time.Duration, profDir string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: run load.sh, which installs it (apt-get install wrk)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gatehouse-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var rs []*running
	defer func() {
		for _, r := range rs {
			_ = r.stop()
		}
	}()
	if profDir != "" {
		if err := os.MkdirAll(profDir, 0o755); err != nil {
			return err
		}
	}
	for i, s := range servers {
		prof := ""
		if profDir != "" {
			prof = filepath.Join(profDir, fmt.Sprintf("server-%d.pprof", i))
		}
		r, err := start(ctx, self, s, prof)
		if err != nil {
			return err
		}
		rs = append(rs, r)
		rep.Servers = append(rep.Servers, s.Name)
		if err := r.check(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("load: %d servers on 127.0.0.1, wrk -t%d -c%d, %d rounds of %v each (warm-up %v), %d CPUs, %s\n",
		len(rs), rep.Threads, rep.Connections, rep.Rounds, duration, warmup, runtime.NumCPU(), runtime.Version())
	// script returns the script of fresh tokens of alg for one run.
	script := func(alg, run string) (string, error) {
		toks, err := freshTokens(alg, run, rep.FreshTokens)
		if err != nil {
			return "", err
		}
		return writeScript(dir, toks)
	}
	served := map[string]float64{} // requests each server answered, warm-up included
	for _, r := range rs {
		sc, err := script(r.tokenAlg(), "warmup")
		if err != nil {
			return err
		}
		res, err := wrk(ctx, r, rep, warmup, sc)
		if err != nil {
			return err
		}
		served[r.Name] += answered(res, warmup)
	}
	for round := 1; round <= rep.Rounds; round++ {
		// Interleave: every server once per round, the order rotated so no
		// server always runs first or right after the same neighbour.
		order := slices.Clone(rs)
		k := (round - 1) % len(order)
		order = append(order[k:], order[:k]...)
		var got []loadrun.Result
		for _, r := range order {
			sc, err := script(r.tokenAlg(), "round"+strconv.Itoa(round))
			if err != nil {
				return err
			}
			res, err := wrk(ctx, r, rep, duration, sc)
			if err != nil {
				return err
			}
			res.Round, res.Tokens = round, r.tokenAlg()
			got = append(got, res)
			served[r.Name] += answered(res, duration)
		}
		base := map[string]float64{} // no-auth req/s by token algorithm
		for _, g := range got {
			if s, _ := find(g.Server); s.Alg == "" && !s.Control {
				base[g.Tokens] = g.RPS
			}
		}
		fmt.Printf("\nround %d\n%-38s %12s %9s %9s %8s\n", round, "server", "req/s", "p50", "p99", "ratio")
		for _, s := range servers {
			for i := range got {
				if got[i].Server != s.Name {
					continue
				}
				got[i].Ratio = got[i].RPS / base[got[i].Tokens]
				g := got[i]
				fmt.Printf("%-38s %12.0f %7.2fms %7.2fms %7.2fx", g.Server, g.RPS, g.P50ms, g.P99ms, g.Ratio)
				if g.Non2xx > 0 {
					fmt.Printf("  (%d non-2xx!)", g.Non2xx)
				}
				fmt.Println()
				rep.Results = append(rep.Results, g)
			}
		}
	}
	for _, r := range rep.Results {
		if r.Non2xx > 0 {
			return fmt.Errorf("%s answered %d requests with a non-2xx status", r.Server, r.Non2xx)
		}
	}
	if profDir == "" {
		return nil
	}
	// The servers write their profiles as they stop. A profile that
	// cannot be read costs its server's row, not the run.
	shares := map[string]loadcpu.Share{}
	var read []loadcpu.Share
	for _, r := range rs {
		if err := r.stop(); err != nil {
			log.Printf("no CPU profile: %v", err)
			continue
		}
		share, err := cpuShare(r.Name, r.prof)
		if err != nil {
			log.Printf("no CPU profile: %v", err)
			continue
		}
		share.Requests = served[r.Name]
		shares[r.Name] = share
		read = append(read, share)
	}
	bases := map[string]loadcpu.Share{} // each server's baseline, by server
	for _, r := range rs {
		for _, b := range rs {
			if b.Alg == "" && !b.Control && b.tokenAlg() == r.tokenAlg() {
				bases[r.Name] = shares[b.Name]
			}
		}
	}
	for _, s := range read {
		rep.CPU = append(rep.CPU, loadcpu.Result{Share: s, Base: bases[s.Server].Server, CPUBound: loadcpu.Ratio(bases[s.Server], s)})
	}
	printShares(read, bases)
	return nil
}

func wrk(ctx context.Context, r *running, rep *loadrun.Report, d time.Duration, script string) (loadrun.Result, error) {
	secs := int(wrkSeconds(d))
	args := []string{"-t" + strconv.Itoa(rep.Threads), "-c" + strconv.Itoa(rep.Connections),
		"-d" + strconv.Itoa(secs) + "s", "--latency", "--timeout", "5s", "-s", script}
	args = append(args, "http://"+r.addr+fixture.Path)
	wctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(wctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return loadrun.Result{}, fmt.Errorf("wrk %s: %w\n%s", r.Name, err, out)
	}
	return parseWrk(r.Name, string(out))
}

// answered returns the number of requests the run r answered: wrk's
// count, or its rate times d when it printed none.
func answered(r loadrun.Result, d time.Duration) float64 {
	if r.Requests > 0 {
		return float64(r.Requests)
	}
	return r.RPS * wrkSeconds(d)
}

// wrkSeconds is the whole number of seconds wrk runs for d.
func wrkSeconds(d time.Duration) float64 {
	return float64(max(1, int(d.Round(time.Second)/time.Second)))
}

func parseWrk(name, out string) (loadrun.Result, error) {
	sum, err := wrkout.Parse(out)
	if err != nil {
		return loadrun.Result{Server: name}, fmt.Errorf("wrk %s: %w in\n%s", name, err, out)
	}
	return loadrun.Result{Server: name, RPS: sum.RPS, P50ms: sum.P50ms, P99ms: sum.P99ms, Non2xx: int(sum.Non2xx), Requests: sum.Requests}, nil
}
