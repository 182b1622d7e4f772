package redisstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/issuer/issuertest"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// The refresh kit on the single Redis and on the cluster.
func TestRefreshKitOnEachRedis(t *testing.T) {
	eachRedis(t, func(t *testing.T, _ redis.UniversalClient, newStore func(t *testing.T) *redisstore.Store) {
		issuertest.TestRefreshStore(t, func(t *testing.T) issuer.RefreshStore { return newStore(t).Refresh() })
	})
}

// keysUnder lists the keys under prefix, on every master of a cluster.
func keysUnder(t *testing.T, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	scan := func(ctx context.Context, m *redis.Client) error {
		iter := m.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return iter.Err()
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		var mu = make(chan struct{}, 1)
		require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			mu <- struct{}{}
			defer func() { <-mu }()
			return scan(ctx, m)
		}))
	} else {
		require.NoError(t, scan(ctx, c.(*redis.Client)))
	}
	return keys
}

func refreshHash() [32]byte { return sha256.Sum256([]byte(rand.Text())) }

// newFamily creates a family on r and returns it with its first token.
func newFamily(t *testing.T, r issuer.RefreshStore, now time.Time) (issuer.Family, issuer.RefreshRecord) {
	t.Helper()
	f := issuer.Family{
		ID:        rand.Text()[:22],
		Session:   issuer.Session{Subject: "alice", Tenant: "t-alice", ClientID: "123456", Scopes: []string{"products:read"}},
		CreatedAt: now,
	}
	rec := issuer.RefreshRecord{Hash: refreshHash(), FamilyID: f.ID, IssuedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
	require.NoError(t, r.Create(context.Background(), f, rec))
	return f, rec
}

// rotateN rotates the family n times from cur and returns the current
// token.
func rotateN(t *testing.T, r issuer.RefreshStore, f issuer.Family, cur issuer.RefreshRecord, n int) issuer.RefreshRecord {
	t.Helper()
	for range n {
		now := cur.IssuedAt.Add(time.Hour)
		nx := issuer.RefreshRecord{Hash: refreshHash(), FamilyID: f.ID, IssuedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
		_, err := r.Rotate(context.Background(), cur.Hash, nx)
		require.NoError(t, err)
		cur = nx
	}
	return cur
}

// TestRefreshOneKeyPerFamily checks the refresh store's key schema: one key per family whatever the number of
// rotations, always with a TTL, and on a cluster families spread over the
// slots and masters (the keys of one family share its hash tag).
func TestRefreshOneKeyPerFamily(t *testing.T) {
	eachRedis(t, func(t *testing.T, c redis.UniversalClient, newStore func(t *testing.T) *redisstore.Store) {
		s := newStore(t)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		const families = 24
		for k := range families {
			f, rec := newFamily(t, s.Refresh(), now)
			rotateN(t, s.Refresh(), f, rec, k+issuer.RefreshRing)
		}
		keys := keysUnder(t, c, s.Prefix())
		require.Len(t, keys, families, "one key per family: %v", keys)
		slots := map[int64]bool{}
		for _, k := range keys {
			ttl, err := c.PTTL(ctx, k).Result()
			require.NoError(t, err)
			assert.Greater(t, ttl, time.Duration(0), "%s has a TTL", k)
			slot, err := c.ClusterKeySlot(ctx, k).Result()
			if err == nil { // a single node without cluster support has no slots
				slots[slot] = true
			}
		}
		if _, ok := c.(*redis.ClusterClient); ok {
			assert.Greater(t, len(slots), families/2, "families spread over the slots")
		}
	})
}

// TestRefreshMemoryPerSession measures what a session costs in Redis
// after 1, 16 and 1,000 rotations: MEMORY USAGE of its one key. Once the
// ring is full the cost no longer grows.
func TestRefreshMemoryPerSession(t *testing.T) {
	eachRedis(t, func(t *testing.T, c redis.UniversalClient, newStore func(t *testing.T) *redisstore.Store) {
		s := newStore(t)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		f, rec := newFamily(t, s.Refresh(), now)
		key := s.Prefix() + "rf:{" + f.ID + "}"
		usage := func() int64 {
			n, err := c.MemoryUsage(ctx, key).Result()
			require.NoError(t, err)
			return n
		}
		created := usage()
		cur := rotateN(t, s.Refresh(), f, rec, issuer.RefreshRing)
		full := usage()
		cur = rotateN(t, s.Refresh(), f, cur, 1000-issuer.RefreshRing)
		after := usage()
		t.Logf("MEMORY USAGE of a session: %d bytes at login, %d after %d rotations, %d after 1000", created, full, issuer.RefreshRing, after)
		assert.Equal(t, full, after, "no growth with rotations once the ring is full")
		assert.Len(t, keysUnder(t, c, s.Prefix()), 1)
		got, err := s.Refresh().Lookup(ctx, f.ID, cur.Hash, cur.IssuedAt)
		require.NoError(t, err)
		assert.Equal(t, f.ID, got.ID, "the family lives on")
	})
}
