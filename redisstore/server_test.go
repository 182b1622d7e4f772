package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// New refuses a Redis whose maxmemory-policy can evict security state,
// naming the policy, unless the check is skipped; noeviction passes.
func TestCheckEvictionPolicy(t *testing.T) {
	srv := redistest.StartServer(t, "--maxmemory-policy", "allkeys-lru")
	ctx := context.Background()

	_, err := redisstore.New(redisstore.Config{Addr: srv.Addr()})
	require.ErrorIs(t, err, redisstore.ErrServerConfig)
	assert.ErrorContains(t, err, "maxmemory-policy allkeys-lru")
	assert.ErrorContains(t, err, "noeviction")

	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), SkipServerCheck: true})
	require.NoError(t, err, "the opt-out for a Redis that forbids CONFIG")
	require.NoError(t, s.Ping(ctx))
	require.ErrorIs(t, s.Check(ctx), redisstore.ErrServerConfig, "Check still reports the policy when called")

	c := redis.NewClient(redistest.Options(srv.Addr()))
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	for _, policy := range []string{"volatile-lru", "volatile-ttl", "allkeys-random"} {
		require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", policy).Err())
		_, err = redisstore.New(redisstore.Config{Addr: srv.Addr()})
		assert.ErrorIs(t, err, redisstore.ErrServerConfig, policy)
		assert.ErrorContains(t, err, policy)
	}
	require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err())
	s2, err := redisstore.New(redisstore.Config{Addr: srv.Addr()})
	require.NoError(t, err)
	require.NoError(t, s2.Close())
}

// RequirePersistence refuses a Redis that would come back empty from a
// restart; appendonly (or snapshots) satisfy it.
func TestCheckPersistence(t *testing.T) {
	srv := redistest.StartServer(t)
	_, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
	require.ErrorIs(t, err, redisstore.ErrServerConfig)
	assert.ErrorContains(t, err, "persists nothing")

	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr()})
	require.NoError(t, err, "persistence is not required by default")
	require.NoError(t, s.Close())

	c := redis.NewClient(redistest.Options(srv.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.ConfigSet(context.Background(), "appendonly", "yes").Err())
	s, err = redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// A replica is refused (it misses writes the master has); a master with
// fewer connected replicas than MinReplicas is refused, one with enough is
// not.
func TestCheckReplicas(t *testing.T) {
	master := redistest.StartServer(t)
	host, port, _ := strings.Cut(master.Addr(), ":")
	replica := redistest.StartServer(t, "--replicaof", host, port)

	_, err := redisstore.New(redisstore.Config{Addr: replica.Addr()})
	require.ErrorIs(t, err, redisstore.ErrServerConfig)
	assert.ErrorContains(t, err, "not a master")

	c := redis.NewClient(redistest.Options(master.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	require.Eventually(t, func() bool {
		return strings.Contains(c.Info(context.Background(), "replication").Val(), "connected_slaves:1")
	}, 5*time.Second, 20*time.Millisecond)
	s, err := redisstore.New(redisstore.Config{Addr: master.Addr(), MinReplicas: 1})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = redisstore.New(redisstore.Config{Addr: master.Addr(), MinReplicas: 2})
	require.ErrorIs(t, err, redisstore.ErrServerConfig)
	assert.ErrorContains(t, err, "1 connected replicas, fewer than MinReplicas (2)")
}

// On a Redis Cluster the check reads every master.
func TestCheckCluster(t *testing.T) {
	c := redistest.Cluster(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 1})
	require.NoError(t, err)
	_, err = redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 2})
	require.ErrorIs(t, err, redisstore.ErrServerConfig, "every master has one replica")
	require.NoError(t, s.Check(context.Background()))
}
