package redisstore_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

func TestNewValidates(t *testing.T) {
	withDeadlines := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	withoutDeadlines := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	failover := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	clusterNoDeadlines := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	readOnly := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, ReadOnly: true})
	byLatency := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, RouteByLatency: true})
	randomly := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, RouteRandomly: true})
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1", "b": "127.0.0.1:2"}, ContextTimeoutEnabled: true})
	auto, err := withDeadlines.AutoPipeline()
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = auto.Close()
		for _, c := range []redis.UniversalClient{withDeadlines, withoutDeadlines, failover, cluster, clusterNoDeadlines, readOnly, byLatency, randomly, ring} {
			_ = c.Close()
		}
	})
	for _, tc := range []struct {
		name   string
		cfg    redisstore.Config
		reason string // in the error; "" for a Config New accepts
	}{
		{"nothing to connect to", redisstore.Config{}, "required"},
		{"client and addr", redisstore.Config{Client: withDeadlines, Addr: "127.0.0.1:6379"}, "one of"},
		{"addr and cluster", redisstore.Config{Addr: "127.0.0.1:6379", ClusterAddrs: []string{"127.0.0.1:7000"}}, "one of"},
		{"empty cluster seed", redisstore.Config{ClusterAddrs: []string{"127.0.0.1:7000", ""}}, "empty address"},
		{"negative timeout", redisstore.Config{Addr: "127.0.0.1:6379", Timeout: -time.Second}, "Timeout"},
		{"client without context deadlines", redisstore.Config{Client: withoutDeadlines}, "ContextTimeoutEnabled"},
		{"cluster without context deadlines", redisstore.Config{Client: clusterNoDeadlines}, "ContextTimeoutEnabled"},
		{"cluster reading replicas", redisstore.Config{Client: readOnly}, "replicas"},
		{"cluster routing by latency", redisstore.Config{Client: byLatency}, "replicas"},
		{"cluster routing randomly", redisstore.Config{Client: randomly}, "replicas"},
		{"ring", redisstore.Config{Client: ring}, "Ring"},
		{"auto pipeliner", redisstore.Config{Client: auto}, "AutoPipeliner"},
		{"unknown client type", redisstore.Config{Client: wrapped{withDeadlines}}, "unsupported client type redisstore_test.wrapped"},
		{"prefix with a hash tag", redisstore.Config{Client: withDeadlines, Prefix: "{app}:"}, "hash tag"},
		{"prefix with a brace", redisstore.Config{Client: withDeadlines, Prefix: "app{"}, "hash tag"},
		{"negative MinReplicas", redisstore.Config{Client: withDeadlines, MinReplicas: -1}, "MinReplicas"},
		{"negative ReplicaTimeout", redisstore.Config{Client: withDeadlines, ReplicaTimeout: -time.Second}, "ReplicaTimeout"},
		{"ReplicaTimeout past Timeout", redisstore.Config{Client: withDeadlines, MinReplicas: 1, ReplicaTimeout: time.Second}, "shorter than Timeout"},
		{"client and password", redisstore.Config{Client: withDeadlines, Password: "pw"}, "Client of your own"},
		{"client and TLS", redisstore.Config{Client: withDeadlines, TLS: &tls.Config{}}, "Client of your own"},
		{"username without password", redisstore.Config{Addr: "127.0.0.1:6379", Username: "app"}, "Username without Password"},
		{"unreachable, checked", redisstore.Config{Client: withDeadlines}, "server check: 127.0.0.1:1"},
		{"client", redisstore.Config{Client: withDeadlines, SkipServerCheck: true}, ""},
		{"sentinel", redisstore.Config{Client: failover, SkipServerCheck: true}, ""},
		{"cluster", redisstore.Config{Client: cluster, SkipServerCheck: true}, ""},
		{"addr", redisstore.Config{Addr: "127.0.0.1:1", SkipServerCheck: true}, ""},
		{"cluster seeds", redisstore.Config{ClusterAddrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, SkipServerCheck: true}, ""},
		{"addr with credentials and TLS", redisstore.Config{Addr: "127.0.0.1:1", Username: "app", Password: "pw", TLS: &tls.Config{}, SkipServerCheck: true}, ""},
		{"cluster seeds with credentials and TLS", redisstore.Config{ClusterAddrs: []string{"127.0.0.1:1"}, Password: "pw", TLS: &tls.Config{}, SkipServerCheck: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.New(tc.cfg)
			if tc.reason != "" {
				assert.ErrorContains(t, err, tc.reason)
				if !strings.Contains(tc.name, "unreachable") {
					assert.ErrorIs(t, err, redisstore.ErrConfig)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, redisstore.DefaultPrefix, s.Prefix())
			assert.NoError(t, s.Close())
		})
	}
}

// wrapped is a UniversalClient of a type the Store does not know.
type wrapped struct{ *redis.Client }

// A Store built from ClusterAddrs talks to the cluster: keys of every slot
// are reachable through the one client it owns.
func TestClusterAddrs(t *testing.T) {
	c := redistest.Cluster(t)
	prefix := redistest.Prefix(t, c)
	s, err := redisstore.New(redisstore.Config{ClusterAddrs: redistest.ClusterAddrs(), Prefix: prefix})
	require.NoError(t, err)
	established(t, s)
	t.Cleanup(func() { _ = s.Close() })
	_, ok := s.Client().(*redis.ClusterClient)
	require.True(t, ok, "a cluster client, got %T", s.Client())
	ctx := context.Background()
	for i := range 50 {
		fresh, err := s.Replay().Use(ctx, "client", fmt.Sprint("use-", i), time.Minute)
		require.NoError(t, err)
		assert.True(t, fresh)
	}
	var masters, used atomic.Int32
	require.NoError(t, c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		masters.Add(1)
		if len(node.Keys(ctx, prefix+"*").Val()) > 0 {
			used.Add(1)
		}
		return nil
	}))
	assert.Equal(t, masters.Load(), used.Load(), "50 keys spread over every master")
}

// Nothing secret reaches Redis: after storing an opaque token, an API key,
// a refresh family and an account, no key name or value contains the
// token, the key, the refresh token or the password.
func TestOnlyHashesAreWritten(t *testing.T) {
	s := newStore(t, nil)
	c, prefix := s.Client(), s.Prefix()
	ctx := context.Background()
	now := time.Now()

	opaque, key, refresh, password := "opaque-"+rand.Text(), "ak_live_"+rand.Text(), "rt-"+rand.Text(), "pw-"+rand.Text()
	require.NoError(t, s.Tokens().Add(ctx, opaque, bearer.TokenRecord{ID: "tok_1", Subject: "alice"}))
	require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_1", Hash: apikey.Hash(key), Tenant: "acme"}))
	require.NoError(t, s.Refresh().Create(ctx, issuer.Family{ID: "fam-1", Session: issuer.Session{Subject: "alice"}},
		issuer.RefreshRecord{Hash: bearer.HashToken(refresh), FamilyID: "fam-1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	pw, err := issuer.HashPassword(password, 4)
	require.NoError(t, err)
	require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "alice", PasswordHash: pw}))

	keys, err := c.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	var dump strings.Builder
	for _, k := range keys {
		dump.WriteString(k + "\n")
		switch c.Type(ctx, k).Val() {
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				dump.WriteString(f + "=" + v + "\n")
			}
		case "string":
			dump.WriteString(c.Get(ctx, k).Val() + "\n")
		}
	}
	for _, secret := range []string{opaque, key, refresh, password} {
		assert.NotContains(t, dump.String(), secret)
	}
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, prefix), "%s is namespaced", k)
	}
}

// With ServerTime the rate limit reads Redis's clock, whatever the caller
// passes as now.
func TestRateLimitServerTime(t *testing.T) {
	c := redistest.Client(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), ServerTime: true})
	require.NoError(t, err)
	established(t, s)
	ctx := context.Background()
	lim := ratelimit.PerHour(2)
	for i, at := range []time.Time{{}, time.Now().Add(100 * time.Hour)} {
		res, err := s.RateLimit().Take(ctx, "k", lim, at)
		require.NoError(t, err)
		assert.True(t, res.Allowed, "request %d", i+1)
	}
	res, err := s.RateLimit().Take(ctx, "k", lim, time.Now().Add(1000*time.Hour))
	require.NoError(t, err)
	assert.False(t, res.Allowed, "a caller's clock far ahead does not refill the bucket")
	assert.InDelta(t, float64(30*time.Minute), float64(res.RetryAfter), float64(time.Second))

	n, _, err := s.Failures().AddFailure(ctx, "f", "a1", time.Minute, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, resetAt, err := s.Failures().Failures(ctx, "f", time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the window is on the server's clock")
	assert.WithinDuration(t, time.Now().Add(time.Minute), resetAt, 5*time.Second)
}
