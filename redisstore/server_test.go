package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
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
// restart, or from its last snapshot (without the revocations written
// since, and unnoticed, since the epoch record survives), or with an
// append-only file the operating system flushes when it likes; an
// append-only file fsynced every second or on every write satisfies it.
func TestCheckPersistence(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	_, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
	require.ErrorIs(t, err, redisstore.ErrServerConfig)
	assert.ErrorContains(t, err, "persists nothing")

	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr()})
	require.NoError(t, err, "persistence is not required by default")
	require.NoError(t, s.Close())

	c := redis.NewClient(redistest.Options(srv.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.ConfigSet(ctx, "save", "3600 1 300 100 60 10000").Err()) // Redis's default snapshots
	_, err = redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
	require.ErrorIs(t, err, redisstore.ErrServerConfig, "snapshots alone")
	assert.ErrorContains(t, err, "persists only snapshots")
	assert.ErrorContains(t, err, "appendonly yes")

	require.NoError(t, c.ConfigSet(ctx, "appendonly", "yes").Err())
	require.NoError(t, c.ConfigSet(ctx, "appendfsync", "no").Err())
	_, err = redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
	require.ErrorIs(t, err, redisstore.ErrServerConfig, "appendfsync no")
	assert.ErrorContains(t, err, "appendfsync no")

	for _, fsync := range []string{"everysec", "always"} {
		require.NoError(t, c.ConfigSet(ctx, "appendfsync", fsync).Err())
		s, err = redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true})
		require.NoError(t, err, fsync)
		require.NoError(t, s.Close())
	}
}

// Under the persistence RequirePersistence asks for, a revocation
// survives a crash of Redis (SIGKILL, then a restart from its files): the
// revoked token is still revoked, where a Redis restarted from a snapshot
// taken before the revocation would have let it pass.
func TestRevocationSurvivesCrashWithRequiredPersistence(t *testing.T) {
	srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	ctx := context.Background()
	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), RequirePersistence: true, Prefix: "persist-test:"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Establish(ctx))
	tok := &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: time.Now().Unix()}
	require.NoError(t, s.Revocations().RevokeToken(ctx, "alice", "jti-1", time.Now().Add(time.Hour)))

	srv.Restart() // a crash: Redis comes back from its append-only file
	var revoked bool
	require.Eventually(t, func() bool {
		revoked, err = s.Revocations().Revoked(ctx, tok)
		return err == nil
	}, 5*time.Second, 20*time.Millisecond, "the epoch record survived too: no ErrStateLost")
	assert.True(t, revoked, "the revocation survived the crash")
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
