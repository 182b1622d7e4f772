package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// instance is one reward store process of a fleet sharing one Redis.
type instance struct {
	t   *testing.T
	url string
}

// newFleetInstance builds a reward store exactly as the command does with
// -redis-addr (useRedis), against the Redis at addr under prefix.
func newFleetInstance(t *testing.T, addr, prefix string) *instance {
	t.Helper()
	cfg, err := server.FromEnv(func(k string) string {
		return map[string]string{"JWT_SECRET": strings.Repeat("s", 32), "DEMO_ALLOWED_IPS": "127.0.0.2"}[k]
	})
	require.NoError(t, err)
	cfg.BcryptCost = bcrypt.MinCost
	target, err := parseRedisAddr("-redis-addr", addr)
	require.NoError(t, err)
	store, closeRedis, err := useRedis(&cfg, target, redisSettings{prefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeRedis() })
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, store.Establish(context.Background()))
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &instance{t: t, url: ts.URL}
}

type reply struct {
	status int
	header http.Header
	body   string
}

// call sends a request from the loopback address from (127.0.0.x).
func (in *instance) call(from, method, path, body, bearer string) reply {
	in.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, in.url+path, rd)
	require.NoError(in.t, err)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 10 * time.Second}
	res, err := c.Do(req)
	require.NoError(in.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(in.t, err)
	return reply{res.StatusCode, res.Header, string(b)}
}

type pair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

func (in *instance) login(user, pw string) pair {
	in.t.Helper()
	r := in.call("127.0.0.2", "POST", "/auth/login", `{"username":"`+user+`","password":"`+pw+`"}`, "")
	require.Equal(in.t, http.StatusOK, r.status, r.body)
	return pairFrom(in.t, r)
}

func (in *instance) refresh(rt string) reply {
	return in.call("127.0.0.2", "POST", "/auth/refresh", `{"refresh_token":"`+rt+`"}`, "")
}

func (in *instance) products(access string) int {
	return in.call("127.0.0.2", "GET", "/api/v1/products", "", access).status
}

func pairFrom(t *testing.T, r reply) pair {
	t.Helper()
	var b struct{ Data pair }
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	require.NotEmpty(t, b.Data.Access)
	return b.Data
}

// Two reward store instances on one Redis behave as one server: sessions,
// logouts, rotations, reuse detection, IP whitelists and the failed-login
// limit are shared; while Redis is unreachable both answer 503 and they
// recover by themselves when it is back.
func TestTwoInstancesOnRedis(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	proxy := redistest.NewProxy(t, redistest.Addr())
	a := newFleetInstance(t, proxy.Addr(), prefix)
	b := newFleetInstance(t, proxy.Addr(), prefix)

	t.Run("log in on A, use on B, log out on B, refused on A", func(t *testing.T) {
		p := a.login("demo", "demo-password")
		assert.Equal(t, http.StatusOK, b.products(p.Access))
		assert.Equal(t, http.StatusOK, a.products(p.Access))
		require.Equal(t, http.StatusOK, b.call("127.0.0.2", "POST", "/auth/logout", "", p.Access).status)
		assert.Equal(t, http.StatusUnauthorized, a.products(p.Access), "A had the token cached; the revocation still wins")
		assert.Equal(t, http.StatusUnauthorized, a.refresh(p.Refresh).status, "the session is over on A")
	})

	t.Run("rotate on A, replay on B: the family is revoked", func(t *testing.T) {
		p := a.login("demo", "demo-password")
		r := a.refresh(p.Refresh)
		require.Equal(t, http.StatusOK, r.status, r.body)
		p2 := pairFrom(t, r)
		assert.Equal(t, http.StatusOK, b.products(p2.Access))
		assert.Equal(t, http.StatusUnauthorized, b.refresh(p.Refresh).status, "B sees the replay")
		assert.Equal(t, http.StatusUnauthorized, a.refresh(p2.Refresh).status, "the whole family is dead, current token included")
		assert.Equal(t, http.StatusUnauthorized, a.products(p2.Access), "and so are its access tokens")
	})

	t.Run("concurrent refresh on A and B: exactly one wins", func(t *testing.T) {
		p := a.login("demo", "demo-password")
		codes := make(chan int, 2)
		for _, in := range []*instance{a, b} {
			go func() { codes <- in.refresh(p.Refresh).status }()
		}
		got := []int{<-codes, <-codes}
		assert.ElementsMatch(t, []int{http.StatusOK, http.StatusUnauthorized}, got)
	})

	t.Run("the IP whitelist is shared", func(t *testing.T) {
		p := a.login("demo", "demo-password")
		assert.Equal(t, http.StatusForbidden, b.call("127.0.0.3", "GET", "/api/v1/products", "", p.Access).status)
	})

	t.Run("the failed-login limit is shared", func(t *testing.T) {
		bad := `{"username":"partner","password":"guess"}`
		for k := range 5 {
			in := []*instance{a, b}[k%2]
			assert.Equal(t, http.StatusUnauthorized, in.call("127.0.0.6", "POST", "/auth/login", bad, "").status, "failure %d", k+1)
		}
		r := a.call("127.0.0.6", "POST", "/auth/login", `{"username":"partner","password":"partner-password"}`, "")
		assert.Equal(t, http.StatusTooManyRequests, r.status, r.body)
		assert.NotEmpty(t, r.header.Get("Retry-After"))
	})

	t.Run("Redis unreachable: 503 on both, then recovery", func(t *testing.T) {
		p := a.login("demo", "demo-password") // partner is throttled by now
		require.Equal(t, http.StatusOK, b.products(p.Access))
		proxy.Stop()
		for _, in := range []*instance{a, b} {
			assert.Equal(t, http.StatusServiceUnavailable, in.products(p.Access), "fail closed on a cached token")
			assert.Equal(t, http.StatusServiceUnavailable, in.refresh(p.Refresh).status)
			r := in.call("127.0.0.2", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
			assert.Equal(t, http.StatusServiceUnavailable, r.status, r.body)
		}
		require.NoError(t, proxy.Start())
		for _, in := range []*instance{a, b} {
			require.Eventually(t, func() bool { return in.products(p.Access) == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
		}
		r := b.refresh(p.Refresh)
		assert.Equal(t, http.StatusOK, r.status, "the refresh attempted during the outage changed nothing: %s", r.body)
	})
}

// -redis-addr (and REDIS_ADDR) takes one address, a list of cluster seeds
// or a redis:// / rediss:// URL; the client options suit a store of
// security state; bad input is an error naming the flag and never
// echoing a password.
func TestParseRedisAddr(t *testing.T) {
	for _, tc := range []struct {
		in       string
		cluster  []string // the seeds of a cluster; nil for a single node
		single   string   // the address of a single node
		describe string
	}{
		{in: "127.0.0.1:6379", single: "127.0.0.1:6379", describe: "single node 127.0.0.1:6379"},
		{in: " redis.internal:6380 ", single: "redis.internal:6380", describe: "single node redis.internal:6380"},
		{in: "[::1]:6379", single: "[::1]:6379", describe: "single node [::1]:6379"},
		{in: "127.0.0.1:7000,127.0.0.1:7001, 127.0.0.1:7002", cluster: []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"},
			describe: "cluster of 3 seeds (127.0.0.1:7000, 127.0.0.1:7001, 127.0.0.1:7002)"},
		{in: "redis://127.0.0.1:6379/2", single: "127.0.0.1:6379", describe: "single node 127.0.0.1:6379 (redis URL, db 2)"},
		{in: "redis://cache.example", single: "cache.example:6379", describe: "single node cache.example:6379 (redis URL, db 0)"},
		{in: "rediss://app:s3cret-pw@cache.example:6380/0", single: "cache.example:6380", describe: "single node cache.example:6380 (rediss URL, TLS, db 0)"},
		{in: "REDIS://:s3cret-pw@10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", cluster: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
			describe: "cluster of 3 seeds (10.0.0.1:7000, 10.0.0.2:7000, 10.0.0.3:7000), from a redis URL"},
		{in: "rediss://app:s3cret-pw@10.0.0.1:7000/?cluster=true&dial_timeout=2s", cluster: []string{"10.0.0.1:7000"},
			describe: "cluster of 1 seed (10.0.0.1:7000), from a rediss URL, TLS"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			target, err := parseRedisAddr("-redis-addr", tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.describe, target.describe)
			assert.NotContains(t, target.describe, "s3cret")
			assert.NotContains(t, target.describe, "app")
			if tc.cluster != nil {
				require.NotNil(t, target.cluster)
				require.Nil(t, target.single)
				o := target.cluster
				assert.Equal(t, tc.cluster, o.Addrs)
				assert.True(t, o.ContextTimeoutEnabled, "redisstore requires it")
				assert.False(t, o.ReadOnly || o.RouteByLatency || o.RouteRandomly, "reads go to masters")
				assert.Equal(t, 3, o.MaxRedirects)
				assert.Equal(t, clusterReload, o.ClusterStateReloadInterval)
				assert.Positive(t, o.ReadTimeout)
				if strings.Contains(tc.in, "s3cret-pw") {
					assert.Equal(t, "s3cret-pw", o.Password)
				}
				if strings.Contains(tc.in, "dial_timeout=2s") {
					assert.Equal(t, 2*time.Second, o.DialTimeout, "URL options apply")
				}
				if assert.Equal(t, strings.HasPrefix(tc.in, "rediss"), o.TLSConfig != nil) && o.TLSConfig != nil {
					assert.Equal(t, uint16(tls.VersionTLS12), o.TLSConfig.MinVersion)
				}
				_, ok := target.client().(*redis.ClusterClient)
				assert.True(t, ok)
				return
			}
			require.NotNil(t, target.single)
			require.Nil(t, target.cluster)
			o := target.single
			assert.Equal(t, tc.single, o.Addr)
			assert.True(t, o.ContextTimeoutEnabled, "redisstore requires it")
			assert.Equal(t, redisTimeout, o.ReadTimeout)
			assert.Equal(t, 1, o.MaxRetries)
			if strings.Contains(tc.in, "s3cret-pw") {
				assert.Equal(t, "app", o.Username)
				assert.Equal(t, "s3cret-pw", o.Password)
			}
			assert.Equal(t, strings.HasPrefix(tc.in, "rediss"), o.TLSConfig != nil)
			_, ok := target.client().(*redis.Client)
			assert.True(t, ok)
		})
	}
}

func TestParseRedisAddrErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"localhost", `"localhost" is not host:port`},
		{":6379", `":6379" is not host:port`},
		{"127.0.0.1:0", "the port must be a number from 1 to 65535"},
		{"127.0.0.1:65536", "the port must be a number from 1 to 65535"},
		{"127.0.0.1:redis", "the port must be a number from 1 to 65535"},
		{"127.0.0.1:7000,,127.0.0.1:7001", "cluster seed 2 is empty"},
		{"127.0.0.1:7000,127.0.0.1", `cluster seed 2: "127.0.0.1" is not host:port`},
		{"127.0.0.1:7000,", "cluster seed 2 is empty"},
		{"http://127.0.0.1:6379", `unsupported URL scheme "http"`},
		{"unix:///run/redis.sock", `unsupported URL scheme "unix"`},
		{"redis://app:s3cret-pw@cache.example:port", "invalid Redis URL"},
		{"redis://app:s3cret%zz@cache.example:6379", "malformed user name or password (not shown)"},
		{"redis://app:s3cret/x?y#z@cache.example:6379", "malformed user name or password (not shown)"},
		{"redis://app:s3cret-pw@cache.example:6379/1/s3cret-pw", "invalid Redis URL: redis: invalid URL path: /1/xxxxx"},
		{"redis://app:s3cret-pw@cache.example:6379/notadb", "invalid Redis URL"},
		{"redis://s3cret-pw@cache.example:6379/s3cret-pw", "invalid Redis URL"},
		{"redis://app:s3cret-pw@cache.example:6379?bogus=1", "unexpected option: bogus"},
		{"redis://app:s3cret-pw@cache.example:6379?cluster=maybe", "cluster must be true or false"},
		{"redis://app:s3cret-pw@h1:7000?addr=h2:7000&cluster=false", "addr parameters name cluster seeds, but cluster=false"},
		{"redis://app:s3cret-pw@h1:7000?cluster=true&read_only=true", "read_only would read revocations from replicas"},
		{"redis://app:s3cret-pw@h1:7000?route_randomly=1&addr=h2:7000", "route_randomly would read revocations from replicas"},
		{"redis://app:s3cret-pw@h1:7000/3?cluster=true", "a cluster has only database 0"},
		{"redis://app:s3cret-pw@/0", "no host"},
		{"", "empty Redis address"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseRedisAddr("-redis-addr", tc.in)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "-redis-addr: "), err.Error())
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cret", "no part of a password is echoed")
		})
	}
}

// The command refuses a bad -redis-addr or REDIS_ADDR at start, naming
// the one it read, and never prints a password from a URL: not in an
// error, not in the banner, not in its log.
func TestRedisAddrAtStart(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	var out bytes.Buffer
	err := run(context.Background(), []string{"-redis-addr", "127.0.0.1:6379,,127.0.0.1:7001"}, env(nil), &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-redis-addr: cluster seed 2 is empty")

	err = run(context.Background(), nil, env(map[string]string{"REDIS_ADDR": "redis://app:s3cret-pw@127.0.0.1:6379/x"}), &out, &out)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "REDIS_ADDR: invalid Redis URL"), err.Error())
	assert.NotContains(t, err.Error(), "s3cret")

	// Nothing listens on port 1: the start-up ping fails and says where.
	err = run(context.Background(), []string{"-redis-addr", "redis://app:s3cret-pw@127.0.0.1:1"}, env(nil), &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis single node 127.0.0.1:1 (redis URL, db 0)")
	assert.NotContains(t, err.Error(), "s3cret")
	assert.NotContains(t, out.String(), "s3cret")

	// A single-node address that is a cluster node is refused.
	if seeds := redistest.ClusterAddrs(); len(seeds) > 0 {
		err = run(context.Background(), []string{"-redis-addr", seeds[0]}, env(nil), &out, &out)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is a cluster node")
	}

	// With a password in the URL (the default user of a Redis without
	// one accepts any), the banner names the host and nothing else.
	r := singleNode(t)
	bcryptCost = bcrypt.MinCost
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-redis-addr", "redis://default:s3cret-pw@" + r.addr + "/0"},
			env(map[string]string{"REDIS_PREFIX": r.prefix}), stdout, stderr)
	})
	in := &instance{t: t, url: cmd.Base}
	in.login("partner", "partner-password")
	cmd.Stop(t)
	assert.Contains(t, cmd.Stdout.String(), "state    Redis single node "+r.addr+" (redis URL, db 0), keys under \""+r.prefix+"\"")
	assert.NotContains(t, cmd.Stdout.String()+cmd.Stderr.String(), "s3cret")
}

// Seeding the demo whitelists never overwrites a fleet's edited lists:
// instance A seeds DEMO_ALLOWED_IPS, an operator edits the list in Redis,
// instance B (same DEMO_ALLOWED_IPS) starts and keeps the edit, and says
// so in its banner.
func TestSeedListsOnlyWhenAbsent(t *testing.T) {
	r := singleNode(t)
	c := redis.NewClient(redistest.Options(r.addr))
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: r.prefix})
	require.NoError(t, err)
	ctx := context.Background()

	a, _ := startInstance(t, r, nil) // DEMO_ALLOWED_IPS=127.0.0.2
	got, err := s.Lists().AllowList(ctx, server.DefaultDemoClientID)
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, got, "A seeded the absent list")

	edited := []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}
	require.NoError(t, s.Lists().Set(ctx, server.DefaultDemoClientID, edited))

	b, cmd := startInstance(t, r, nil)
	got, err = s.Lists().AllowList(ctx, server.DefaultDemoClientID)
	require.NoError(t, err)
	assert.Equal(t, edited, got, "B did not overwrite the edited list")
	assert.Contains(t, cmd.Stdout.String(), "allowed IPs: 127.0.0.3/32")
	for _, in := range []*instance{a, b} {
		r := in.call("127.0.0.3", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
		assert.Equal(t, http.StatusOK, r.status, r.body)
		r = in.call("127.0.0.2", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
		assert.Equal(t, http.StatusForbidden, r.status, r.body)
	}
}

func TestRedisSettingsFromEnv(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	rs, err := redisSettingsFromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, redisSettings{prefix: "rewardstore:"}, rs)
	assert.Equal(t, `keys under "rewardstore:"`, rs.describe())

	rs, err = redisSettingsFromEnv(env(map[string]string{"REDIS_PREFIX": "shop:", "REDIS_MIN_REPLICAS": "2", "REDIS_SKIP_SERVER_CHECK": "true", "REDIS_LOCAL_CACHE": "true"}))
	require.NoError(t, err)
	assert.Equal(t, redisSettings{prefix: "shop:", minReplicas: 2, skipCheck: true, localCache: true}, rs)
	assert.Equal(t, `keys under "shop:", revocations wait for 2 replicas, server check skipped, local copy invalidated by Redis`, rs.describe())

	for k, v := range map[string]string{"REDIS_MIN_REPLICAS": "-1", "REDIS_SKIP_SERVER_CHECK": "perhaps", "REDIS_LOCAL_CACHE": "sometimes"} {
		_, err := redisSettingsFromEnv(env(map[string]string{k: v}))
		require.Error(t, err, k)
		assert.True(t, strings.HasPrefix(err.Error(), k+" must be"), err.Error())
	}
	_, err = redisSettingsFromEnv(env(map[string]string{"REDIS_MIN_REPLICAS": "one"}))
	assert.ErrorContains(t, err, "REDIS_MIN_REPLICAS")

	// A Redis without replicas cannot acknowledge a revocation on one:
	// the command refuses to start rather than fail every logout.
	r := singleNode(t)
	var out bytes.Buffer
	err = run(context.Background(), []string{"-redis-addr", r.addr},
		env(map[string]string{"REDIS_PREFIX": r.prefix, "REDIS_MIN_REPLICAS": "1"}), &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis single node "+r.addr)
	assert.Contains(t, err.Error(), "MinReplicas")
}
