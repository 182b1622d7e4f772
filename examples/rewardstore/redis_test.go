package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
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
	closeRedis, err := useRedis(&cfg, addr, prefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeRedis() })
	s, err := server.New(cfg)
	require.NoError(t, err)
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
