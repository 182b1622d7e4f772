package redisstore_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// clusterSeeds are the Redis Cluster seeds the refresh and failure tests
// use: GATEHOUSE_REDIS_CLUSTER (comma-separated), else 127.0.0.1:7000 to
// 127.0.0.1:7005.
func clusterSeeds() []string {
	v := os.Getenv("GATEHOUSE_REDIS_CLUSTER")
	if v == "" {
		return []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003", "127.0.0.1:7004", "127.0.0.1:7005"}
	}
	var seeds []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			seeds = append(seeds, a)
		}
	}
	return seeds
}

// clusterClient returns a client of the test Redis Cluster, closed when t
// ends; it skips t when the cluster does not answer (fails it under
// CI=true).
func clusterClient(t *testing.T) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 clusterSeeds(),
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() }); err != nil {
		_ = c.Close()
		msg := "no Redis Cluster at " + strings.Join(clusterSeeds(), ",") + ": " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// clusterPrefix returns a key prefix of t's own on the cluster and deletes
// every key under it, on every master, when t ends.
func clusterPrefix(t *testing.T, c *redis.ClusterClient) string {
	t.Helper()
	p := "gatehouse-test:" + strings.NewReplacer("/", ".", " ", "_", ":", ".", "*", "_", "?", "_", "[", "_", "]", "_", "{", "_", "}", "_").Replace(t.Name()) + ":" + time.Now().Format("150405.000000000") + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			iter := m.Scan(ctx, 0, p+"*", 1000).Iterator()
			for iter.Next(ctx) {
				if err := m.Unlink(ctx, iter.Val()).Err(); err != nil {
					return err
				}
			}
			return iter.Err()
		})
		if err != nil {
			t.Errorf("cleaning %s: %v", p, err)
		}
	})
	return p
}

// testTimeout bounds each store call of eachRedis's stores: generous, so
// that a loaded machine does not fail a test that counts no time.
const testTimeout = 5 * time.Second

// eachRedis runs test as the subtests "single" (the test Redis) and
// "cluster" (the test Redis Cluster), with that deployment's client and a
// newStore giving a Store on it under a prefix of its test's own.
func eachRedis(t *testing.T, test func(t *testing.T, c redis.UniversalClient, newStore func(t *testing.T) *redisstore.Store)) {
	t.Run("single", func(t *testing.T) {
		c := redistest.Client(t)
		test(t, c, func(t *testing.T) *redisstore.Store {
			s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), Timeout: testTimeout})
			require.NoError(t, err)
			return s
		})
	})
	t.Run("cluster", func(t *testing.T) {
		c := clusterClient(t)
		test(t, c, func(t *testing.T) *redisstore.Store {
			s, err := redisstore.New(redisstore.Config{Client: c, Prefix: clusterPrefix(t, c), Timeout: testTimeout})
			require.NoError(t, err)
			return s
		})
	})
}
