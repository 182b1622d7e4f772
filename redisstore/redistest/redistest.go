// Package redistest connects tests to the Redis deployments that
// redisstore's tests (and an application's own) run against, isolates them
// from each other with a key prefix per test, simulates outages with a
// TCP proxy, and counts the round trips code makes ([RoundTrips]).
//
// The single Redis is at GATEHOUSE_REDIS_ADDR (default 127.0.0.1:6379). The
// Redis Cluster is at GATEHOUSE_REDIS_CLUSTER, comma-separated seed
// addresses; unset, it is 127.0.0.1:7000 to 127.0.0.1:7005 under CI=true
// (where .ci/redis-cluster.sh starts it) and absent otherwise. When a
// deployment does not answer, [Client] and [Cluster] skip the test with a
// message saying so — except under CI=true, where a missing Redis is a
// failure.
package redistest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultAddr is the Redis used when GATEHOUSE_REDIS_ADDR is unset.
const DefaultAddr = "127.0.0.1:6379"

// DefaultClusterAddrs returns the cluster seeds used under CI=true when
// GATEHOUSE_REDIS_CLUSTER is unset: 127.0.0.1:7000 to 7005.
func DefaultClusterAddrs() []string {
	return []string{
		"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002",
		"127.0.0.1:7003", "127.0.0.1:7004", "127.0.0.1:7005",
	}
}

func ci() bool { return os.Getenv("CI") == "true" }

// Addr returns GATEHOUSE_REDIS_ADDR, or DefaultAddr.
func Addr() string {
	if a := os.Getenv("GATEHOUSE_REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultAddr
}

// ClusterAddrs returns the seeds in GATEHOUSE_REDIS_CLUSTER; when it is
// unset, DefaultClusterAddrs under CI=true and nil otherwise.
func ClusterAddrs() []string {
	v := os.Getenv("GATEHOUSE_REDIS_CLUSTER")
	if v == "" {
		if ci() {
			return DefaultClusterAddrs()
		}
		return nil
	}
	var addrs []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Options returns client options for addr as redisstore expects them:
// context deadlines on, short timeouts, one retry.
func Options(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	}
}

// ClusterOptions returns cluster client options for the seeds addrs as
// redisstore expects them: context deadlines on, short timeouts, one
// retry, every command on the master of its slot.
func ClusterOptions(addrs []string) *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                 addrs,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	}
}

// Client returns a client of the Redis at Addr, closed when tb ends. It
// skips tb when that Redis does not answer a PING within a second, or
// fails it when the environment has CI=true.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(Options(Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		unavailable(tb, "redistest: no Redis at "+Addr()+" (set GATEHOUSE_REDIS_ADDR, or start redis-server): "+err.Error())
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Cluster returns a client of the Redis Cluster at ClusterAddrs, closed
// when tb ends. It skips tb when no cluster is configured
// (GATEHOUSE_REDIS_CLUSTER unset outside CI) or when the cluster does not
// report cluster_state:ok on every master within two seconds, or fails it
// in those cases when the environment has CI=true.
func Cluster(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	addrs := ClusterAddrs()
	if len(addrs) == 0 {
		unavailable(tb, "redistest: no Redis Cluster configured: set GATEHOUSE_REDIS_CLUSTER to its comma-separated seed addresses (.ci/redis-cluster.sh start runs one on 127.0.0.1:7000-7005)")
	}
	c := redis.NewClusterClient(ClusterOptions(addrs))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		info, err := node.ClusterInfo(ctx).Result()
		if err == nil && !strings.Contains(info, "cluster_state:ok") {
			err = errClusterState
		}
		return err
	})
	if err != nil {
		_ = c.Close()
		unavailable(tb, "redistest: no working Redis Cluster at "+strings.Join(addrs, ",")+" (set GATEHOUSE_REDIS_CLUSTER, or run .ci/redis-cluster.sh start): "+err.Error())
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

var errClusterState = errors.New("cluster_state is not ok")

// unavailable skips tb with msg, or fails it under CI=true.
func unavailable(tb testing.TB, msg string) {
	tb.Helper()
	if ci() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// Prefix returns a key prefix no other test uses ("gatehouse-test:<name>:
// <random>:") and deletes every key under it when tb ends.
func Prefix(tb testing.TB, c redis.UniversalClient) string {
	tb.Helper()
	name := strings.NewReplacer("/", ".", " ", "_", ":", ".", "*", "_", "?", "_", "[", "_", "]", "_").Replace(tb.Name())
	p := "gatehouse-test:" + name + ":" + rand.Text()[:10] + ":"
	tb.Cleanup(func() { Flush(tb, c, p) })
	return p
}

// Flush deletes every key that starts with prefix; on a Redis Cluster, on
// every master.
func Flush(tb testing.TB, c redis.UniversalClient, prefix string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return flush(ctx, node, prefix)
		})
	} else {
		err = flush(ctx, c, prefix)
	}
	if err != nil {
		tb.Errorf("redistest: cleaning %s: %v", prefix, err)
	}
}

// flush deletes the keys under prefix on one node, one UNLINK per key (the
// keys of a node span many hash slots), pipelined in batches.
func flush(ctx context.Context, c redis.Cmdable, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	drop := func() error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Unlink(ctx, k)
			}
			return nil
		})
		keys = keys[:0]
		return err
	}
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			if err := drop(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) > 0 {
		return drop()
	}
	return nil
}
