package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// An instance is one rewardstore process the bench started.
type instance struct {
	base  string // http://127.0.0.1:port
	host  string
	port  string
	cmd   *exec.Cmd
	token string // a bearer token of the demo account, from this instance
}

// A fleetEnv is what the instances of one fleet share.
type fleetEnv struct {
	bin       string // the rewardstore binary
	redisAddr string // "" = in memory
	secret    string // JWT_SECRET
	prefix    string // REDIS_PREFIX
	local     bool   // REDIS_LOCAL_CACHE: the instances keep a local copy Redis invalidates
	logPath   string // stderr of every instance (audit lines)
}

var httpClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
}

// startInstance starts rewardstore on 127.0.0.1 and an ephemeral port and
// waits for its banner.
func startInstance(ctx context.Context, env fleetEnv) (*instance, error) {
	cmd := exec.Command(env.bin, "-addr", "127.0.0.1:0", "-redis-addr", env.redisAddr)
	// A fixed environment: nothing from the caller's (a REDIS_ADDR there
	// must not redirect the bench).
	cmd.Env = []string{
		"JWT_SECRET=" + env.secret,
		"REDIS_PREFIX=" + env.prefix,
		// The demo account gets an allowlist, so every API call checks one
		// (wrk and the bench connect from 127.0.0.1).
		"DEMO_ALLOWED_IPS=127.0.0.0/8",
	}
	if env.local {
		cmd.Env = append(cmd.Env, "REDIS_LOCAL_CACHE=true")
	}
	logf, err := os.OpenFile(env.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, err
	}
	_ = logf.Close() // the child holds its own descriptor
	in := &instance{cmd: cmd}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if b, ok := strings.CutPrefix(sc.Text(), "rewardstore listening on "); ok && !sent {
				found <- strings.TrimSpace(b)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case b, ok := <-found:
		if !ok {
			_ = cmd.Wait()
			return nil, fmt.Errorf("rewardstore (%s) exited without a banner; see %s", describe(env.redisAddr), env.logPath)
		}
		in.base = b
	case <-time.After(30 * time.Second):
		in.stop()
		return nil, fmt.Errorf("rewardstore (%s): no banner within 30s; see %s", describe(env.redisAddr), env.logPath)
	case <-ctx.Done():
		in.stop()
		return nil, ctx.Err()
	}
	hostport := strings.TrimPrefix(in.base, "http://")
	i := strings.LastIndexByte(hostport, ':')
	in.host, in.port = hostport[:i], hostport[i+1:]
	if in.host != "127.0.0.1" {
		in.stop()
		return nil, fmt.Errorf("rewardstore listens on %s, not loopback", in.base)
	}
	return in, nil
}

func describe(redisAddr string) string {
	if redisAddr == "" {
		return "in memory"
	}
	return "Redis " + redisAddr
}

// stop ends the process by its pid: SIGINT (it shuts down gracefully),
// then SIGKILL after 5s.
func (in *instance) stop() {
	if in.cmd.ProcessState != nil {
		return
	}
	_ = in.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = in.cmd.Process.Kill()
		<-done
	}
}

// A pair is a login or refresh answer.
type pair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

func call(ctx context.Context, method, url, body, bearer string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b, err
}

func decodePair(op string, code int, b []byte) (pair, error) {
	if code != http.StatusOK {
		return pair{}, fmt.Errorf("%s: status %d: %s", op, code, bytes.TrimSpace(b))
	}
	var env struct {
		Data pair `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return pair{}, fmt.Errorf("%s: %w", op, err)
	}
	if env.Data.Access == "" || env.Data.Refresh == "" {
		return pair{}, fmt.Errorf("%s: no token pair in the answer", op)
	}
	return env.Data, nil
}

// login logs the demo account in (the account rewardstore creates by
// itself: demo / demo-password).
func (in *instance) login(ctx context.Context) (pair, error) {
	code, b, err := call(ctx, http.MethodPost, in.base+"/auth/login", `{"username":"demo","password":"demo-password"}`, "")
	if err != nil {
		return pair{}, fmt.Errorf("login on %s: %w", in.base, err)
	}
	return decodePair("login on "+in.base, code, b)
}

func (in *instance) refresh(ctx context.Context, refresh string) (pair, error) {
	body, _ := json.Marshal(map[string]string{"refresh_token": refresh})
	code, b, err := call(ctx, http.MethodPost, in.base+"/auth/refresh", string(body), "")
	if err != nil {
		return pair{}, fmt.Errorf("refresh on %s: %w", in.base, err)
	}
	return decodePair("refresh on "+in.base, code, b)
}

func (in *instance) logout(ctx context.Context, access string) error {
	code, b, err := call(ctx, http.MethodPost, in.base+"/auth/logout", "", access)
	if err != nil {
		return fmt.Errorf("logout on %s: %w", in.base, err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("logout on %s: status %d: %s", in.base, code, bytes.TrimSpace(b))
	}
	return nil
}

// products is the bearer API call the load sends; it returns the status.
func (in *instance) products(ctx context.Context, access string) (int, error) {
	code, _, err := call(ctx, http.MethodGet, in.base+"/api/v1/products", "", access)
	if err != nil {
		return 0, fmt.Errorf("GET /api/v1/products on %s: %w", in.base, err)
	}
	return code, nil
}

// mustProducts is products that expects 200.
func (in *instance) mustProducts(ctx context.Context, access string) error {
	code, err := in.products(ctx, access)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET /api/v1/products on %s: status %d, want 200", in.base, code)
	}
	return nil
}

// A fleet is 3 instances on one store.
type fleet struct {
	name      string // "memory", or one of redisFleets
	instances []*instance
	nodes     []string // the Redis masters (nil in memory)
}

func startFleet(ctx context.Context, name string, n int, env fleetEnv, nodes []string) (*fleet, error) {
	f := &fleet{name: name, nodes: nodes}
	for range n {
		in, err := startInstance(ctx, env)
		if err != nil {
			f.stop()
			return nil, err
		}
		f.instances = append(f.instances, in)
	}
	for _, in := range f.instances {
		p, err := in.login(ctx)
		if err == nil {
			err = in.mustProducts(ctx, p.Access)
		}
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		in.token = p.Access
	}
	return f, nil
}

func (f *fleet) stop() {
	for _, in := range f.instances {
		in.stop()
	}
}

var errNotPropagated = errors.New("the logout did not reach the instance within 5s")

// propagation logs in on the first instance, uses the token once on the
// others, logs out on the first at t0 (when its 200 arrives) and polls
// every other instance with the revoked token until it answers 401. A
// probe's delay is the latest of those 401s after t0; it includes one
// HTTP round trip on loopback.
func (f *fleet) propagation(ctx context.Context, probes int) ([]time.Duration, error) {
	a, others := f.instances[0], f.instances[1:]
	var delays []time.Duration
	for range probes {
		p, err := a.login(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if err := o.mustProducts(ctx, p.Access); err != nil {
				return nil, err
			}
		}
		if err := a.logout(ctx, p.Access); err != nil {
			return nil, err
		}
		t0 := time.Now()
		got := make([]time.Duration, len(others))
		errs := make([]error, len(others))
		var wg sync.WaitGroup
		for i, o := range others { // one poller per instance, all at once
			wg.Go(func() { got[i], errs[i] = pollUntilRefused(ctx, o, p.Access, t0) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		delays = append(delays, maxDuration(got))
	}
	return delays, nil
}

func pollUntilRefused(ctx context.Context, o *instance, access string, t0 time.Time) (time.Duration, error) {
	for {
		code, err := o.products(ctx, access)
		if err != nil {
			return 0, err
		}
		switch code {
		case http.StatusUnauthorized:
			return time.Since(t0), nil
		case http.StatusOK:
		default:
			return 0, fmt.Errorf("polling %s with a revoked token: status %d", o.base, code)
		}
		if time.Since(t0) > 5*time.Second {
			return 0, fmt.Errorf("%s: %w", o.base, errNotPropagated)
		}
	}
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
