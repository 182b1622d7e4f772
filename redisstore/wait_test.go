package redisstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
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

// A ReplicaTimeout below a millisecond still bounds the wait: WAIT takes
// whole milliseconds, and its 0 would wait until the replicas acknowledge,
// which without replicas is never (the write then failed with the
// Timeout's deadline, not ErrNotReplicated).
func TestReplicaTimeoutBelowOneMillisecond(t *testing.T) {
	ctx := context.Background()
	single := redistest.Client(t)
	lone, err := New(Config{Client: single, Prefix: redistest.Prefix(t, single), MinReplicas: 1,
		ReplicaTimeout: 500 * time.Microsecond, Timeout: time.Second, SkipServerCheck: true})
	require.NoError(t, err)
	err = lone.Revocations().RevokeToken(ctx, "alice", "jti", time.Now().Add(time.Hour))
	require.ErrorIs(t, err, ErrNotReplicated)
	assert.Equal(t, int64(1), waitMS(500*time.Microsecond))
	assert.Equal(t, int64(2), waitMS(1500*time.Microsecond), "rounded up, never shortened")
	assert.Equal(t, int64(1), waitMS(0))
}

// Revocations and allowlists (Set and SetIfAbsent) are written through
// replicated: with MinReplicas on the cluster, a logout's revocation is on
// the replica when RevokeToken returns, and on a Redis without replicas the
// revocation reports ErrNotReplicated (logout answers an error, not a
// false success).
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
	seeded := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	wrote, err := s.Lists().SetIfAbsent(ctx, "seeded", seeded)
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.True(t, onReplica(t, c, s.key("ips:", "seeded")), "a seeded allowlist is on the replica")

	single := redistest.Client(t)
	lone, err := New(Config{Client: single, Prefix: redistest.Prefix(t, single), MinReplicas: 1, ReplicaTimeout: 50 * time.Millisecond, SkipServerCheck: true})
	require.NoError(t, err)
	require.ErrorIs(t, lone.Revocations().RevokeToken(ctx, "alice", "jti", until), ErrNotReplicated)
	require.ErrorIs(t, lone.Revocations().RevokeSession(ctx, "alice", "sid", until), ErrNotReplicated)
	require.ErrorIs(t, lone.Lists().Set(ctx, "acct", nil), ErrNotReplicated)
	wrote, err = lone.Lists().SetIfAbsent(ctx, "seeded", seeded)
	require.ErrorIs(t, err, ErrNotReplicated, "a seeded allowlist waits for the replicas as Set's does")
	assert.True(t, wrote, "the seed was applied on the master")
}

// reuseFamily creates family "fam2", rotates its token "rt2" to "rt3",
// then presents "rt2" again: reuse, which revokes the family. It returns
// that second Rotate's result.
func reuseFamily(t *testing.T, s *Store) (issuer.Family, error) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	hash := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	require.NoError(t, s.Refresh().Create(ctx, issuer.Family{ID: "fam2", Session: issuer.Session{Subject: "alice"}, CreatedAt: now},
		issuer.RefreshRecord{Hash: hash("rt2"), FamilyID: "fam2", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	_, err := s.Refresh().Rotate(ctx, hash("rt2"), issuer.RefreshRecord{Hash: hash("rt3"), FamilyID: "fam2", IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	require.NoError(t, err)
	return s.Refresh().Rotate(ctx, hash("rt2"), issuer.RefreshRecord{Hash: hash("rt4"), FamilyID: "fam2", IssuedAt: now.Add(time.Second), ExpiresAt: now.Add(time.Hour)})
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

// The other writes that take access away — an API key's Revoke and
// Delete, an opaque token's RevokeToken and DeleteToken, a refresh
// family's RevokeFamily, an account's Put (disabling it) and Delete — wait
// for the replicas too: on the cluster the
// change is on the replica when the call returns, and on a Redis without
// replicas the call reports ErrNotReplicated rather than a success a
// failover could undo. Touch, which takes nothing away, does not wait.
func TestAccessRemovalWritesWaitForReplicas(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	hash := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	pw, err := issuer.HashPassword("password", bcrypt.MinCost)
	require.NoError(t, err)
	disabled := issuer.Account{Username: "alice", PasswordHash: pw, Disabled: true}
	putAll := func(t *testing.T, s *Store) {
		t.Helper()
		for _, id := range []string{"k1", "k2"} {
			require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: id, Hash: hash(id), Subject: "alice"}))
		}
		for _, id := range []string{"t1", "t2"} {
			require.NoError(t, s.Tokens().Add(ctx, "opaque-"+id, bearer.TokenRecord{ID: id, Subject: "alice"}))
		}
		require.NoError(t, s.Refresh().Create(ctx, issuer.Family{ID: "fam1", Session: issuer.Session{Subject: "alice"}, CreatedAt: now},
			issuer.RefreshRecord{Hash: hash("rt"), FamilyID: "fam1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}

	c := redistest.Cluster(t)
	s, err := New(Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 1, ReplicaTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	putAll(t, s)
	onReplicaField := func(key, field, want string) bool {
		t.Helper()
		replica, err := c.SlaveForKey(ctx, key)
		require.NoError(t, err)
		conn := replica.Conn()
		defer conn.Close()
		require.NoError(t, conn.ReadOnly(ctx).Err())
		v, err := conn.HGet(ctx, key, field).Result()
		if errors.Is(err, redis.Nil) {
			return want == ""
		}
		require.NoError(t, err)
		return v == want
	}
	require.NoError(t, s.APIKeys().Revoke(ctx, "k1", now))
	assert.True(t, onReplicaField(s.hashKey("key:", hash("k1")), "rev", "1"), "API key revoked on the replica")
	require.NoError(t, s.APIKeys().Touch(ctx, "k1", now), "Touch")
	require.NoError(t, s.APIKeys().Delete(ctx, "k2"))
	assert.True(t, onReplicaField(s.hashKey("key:", hash("k2")), "id", ""), "API key deleted on the replica")
	require.NoError(t, s.Tokens().RevokeToken(ctx, "t1"))
	assert.True(t, onReplicaField(s.hashKey("tok:", bearer.HashToken("opaque-t1")), "rev", "1"), "token revoked on the replica")
	require.NoError(t, s.Tokens().DeleteToken(ctx, "t2"))
	assert.True(t, onReplicaField(s.hashKey("tok:", bearer.HashToken("opaque-t2")), "id", ""), "token deleted on the replica")
	f, err := s.Refresh().RevokeFamily(ctx, "fam1")
	require.NoError(t, err)
	assert.True(t, f.Revoked)
	assert.True(t, onReplicaField(s.refresh.familyKey("fam1"), "rev", "1"), "family revoked on the replica")
	reuseFamily(t, s)
	assert.True(t, onReplicaField(s.refresh.familyKey("fam2"), "rev", "1"), "family revoked for reuse on the replica")
	require.NoError(t, s.Credentials().Put(ctx, disabled))
	assert.True(t, onReplicaField(s.key("acct:", "alice"), "dis", "1"), "account disabled on the replica")
	require.NoError(t, s.Credentials().Delete(ctx, "alice"))
	assert.True(t, onReplicaField(s.key("acct:", "alice"), "pw", ""), "account deleted on the replica")
	_, err = s.Refresh().RevokeFamily(ctx, "missing")
	require.ErrorIs(t, err, issuer.ErrRefreshNotFound)
	require.ErrorIs(t, s.APIKeys().Revoke(ctx, "missing", now), apikey.ErrKeyNotFound)
	require.ErrorIs(t, s.Tokens().RevokeToken(ctx, "missing"), bearer.ErrTokenNotFound)

	single := redistest.Client(t)
	lone, err := New(Config{Client: single, Prefix: redistest.Prefix(t, single), MinReplicas: 1,
		ReplicaTimeout: 50 * time.Millisecond, Timeout: 2 * time.Second, SkipServerCheck: true})
	require.NoError(t, err)
	require.ErrorIs(t, lone.Revocations().RevokeToken(ctx, "alice", "jti", now.Add(time.Hour)), ErrNotReplicated,
		"the bearer revocation waits for the replica")
	putAll(t, lone)
	assert.ErrorIs(t, lone.APIKeys().Revoke(ctx, "k1", now), ErrNotReplicated, "API key Revoke")
	assert.NoError(t, lone.APIKeys().Touch(ctx, "k1", now), "Touch does not wait")
	assert.ErrorIs(t, lone.APIKeys().Delete(ctx, "k2"), ErrNotReplicated, "API key Delete")
	assert.ErrorIs(t, lone.Tokens().RevokeToken(ctx, "t1"), ErrNotReplicated, "opaque token RevokeToken")
	assert.ErrorIs(t, lone.Tokens().DeleteToken(ctx, "t2"), ErrNotReplicated, "opaque token DeleteToken")
	_, err = lone.Refresh().RevokeFamily(ctx, "fam1")
	assert.ErrorIs(t, err, ErrNotReplicated, "refresh family revocation (logout of a session)")
	f, err = reuseFamily(t, lone)
	assert.ErrorIs(t, err, ErrNotReplicated, "refresh family revocation for a reused token")
	assert.NotErrorIs(t, err, issuer.ErrRefreshReused, "no reuse answer before the revocation is safe")
	assert.Equal(t, "fam2", f.ID)
	assert.True(t, f.Revoked, "the family was revoked on the master")
	rec, err := lone.APIKeys().Lookup(ctx, hash("k1"))
	require.NoError(t, err)
	assert.True(t, rec.Revoked, "the revocation was applied on the master")
	assert.ErrorIs(t, lone.Credentials().Put(ctx, disabled), ErrNotReplicated, "account Put (disabling it)")
	acct, err := lone.Credentials().LookupAccount(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, acct.Disabled, "the account was disabled on the master")
	assert.ErrorIs(t, lone.Credentials().Delete(ctx, "alice"), ErrNotReplicated, "account Delete")
	_, err = lone.Credentials().LookupAccount(ctx, "alice")
	assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "the account was deleted on the master")
	_, err = lone.Credentials().LookupSubject(ctx, "alice")
	assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "and its subject's index entry released")
}
