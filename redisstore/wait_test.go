package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

func set(ctx context.Context, key string) func(p redis.Pipeliner) {
	return func(p redis.Pipeliner) { p.Set(ctx, key, "1", time.Minute) }
}

// With MinReplicas, a write returns once a replica has it: on the cluster,
// the WAIT runs on the master that took the write, for keys of every
// master, and the replica of that master serves the key right away.
func TestReplicatedCluster(t *testing.T) {
	c := redistest.Cluster(t)
	s, err := New(Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 1, ReplicaTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 30 {
		key := s.key("wait:", fmt.Sprint(i))
		require.NoError(t, s.replicated(ctx, key, set(ctx, key)))
		replica, err := c.SlaveForKey(ctx, key)
		require.NoError(t, err)
		conn := replica.Conn()
		require.NoError(t, conn.ReadOnly(ctx).Err())
		v, err := conn.Get(ctx, key).Result()
		_ = conn.Close()
		require.NoError(t, err, "%s on its replica", key)
		assert.Equal(t, "1", v)
	}
}

// A Redis without replicas cannot acknowledge: the write is applied, and
// replicated reports ErrNotReplicated after ReplicaTimeout. Without
// MinReplicas nothing waits.
func TestReplicatedWithoutReplicas(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	ctx := context.Background()
	s, err := New(Config{Client: c, Prefix: prefix, MinReplicas: 1, ReplicaTimeout: 50 * time.Millisecond, SkipServerCheck: true})
	require.NoError(t, err)
	key := s.key("wait:", "a")
	start := time.Now()
	err = s.replicated(ctx, key, set(ctx, key))
	require.ErrorIs(t, err, ErrNotReplicated)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "WAIT waited ReplicaTimeout")
	assert.Equal(t, int64(1), c.Exists(ctx, key).Val(), "the write itself was applied")

	s, err = New(Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	key = s.key("wait:", "b")
	require.NoError(t, s.replicated(ctx, key, set(ctx, key)))
	assert.Equal(t, int64(1), c.Exists(ctx, key).Val())
}

// Revocations and allowlists are written through replicated: with
// MinReplicas on the cluster, a logout's revocation is on the replica when
// RevokeToken returns, and on a Redis without replicas the revocation
// reports ErrNotReplicated (logout answers an error, not a false success).
func TestRevocationWritesWaitForReplicas(t *testing.T) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour)

	c := redistest.Cluster(t)
	s, err := New(Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 1, ReplicaTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	for i := range 20 {
		sub := fmt.Sprint("user-", i)
		require.NoError(t, s.Revocations().RevokeToken(ctx, sub, "jti", until))
		require.NoError(t, s.Revocations().RevokeSubject(ctx, sub, time.Now(), until))
		assert.True(t, onReplica(t, c, s.revocations.subjectKey(sub, kindJTI, "jti")), sub)
		assert.True(t, onReplica(t, c, s.revocations.subjectKey(sub, kindNBF, "")), sub)
	}
	require.NoError(t, s.Lists().Set(ctx, "acct", nil))
	assert.True(t, onReplica(t, c, s.key("ips:", "acct")))

	single := redistest.Client(t)
	lone, err := New(Config{Client: single, Prefix: redistest.Prefix(t, single), MinReplicas: 1, ReplicaTimeout: 50 * time.Millisecond, SkipServerCheck: true})
	require.NoError(t, err)
	require.ErrorIs(t, lone.Revocations().RevokeToken(ctx, "alice", "jti", until), ErrNotReplicated)
	require.ErrorIs(t, lone.Revocations().RevokeSession(ctx, "alice", "sid", until), ErrNotReplicated)
	require.ErrorIs(t, lone.Lists().Set(ctx, "acct", nil), ErrNotReplicated)
}

// onReplica reports whether key is on a replica of the master that owns it.
func onReplica(t *testing.T, c *redis.ClusterClient, key string) bool {
	t.Helper()
	ctx := context.Background()
	replica, err := c.SlaveForKey(ctx, key)
	require.NoError(t, err)
	conn := replica.Conn()
	defer conn.Close()
	require.NoError(t, conn.ReadOnly(ctx).Err())
	n, err := conn.Exists(ctx, key).Result()
	require.NoError(t, err)
	return n == 1
}
