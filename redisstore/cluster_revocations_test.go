package redisstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer/issuertest"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// clusterStore returns a Store on the Redis Cluster whose nodes
// GATEHOUSE_REDIS_CLUSTER lists (comma-separated host:port), under a prefix
// of t's own whose keys are deleted, one at a time on every master, when t
// ends. It skips t when the variable is unset.
func clusterStore(t *testing.T, now func() time.Time) *redisstore.Store {
	t.Helper()
	addrs := os.Getenv("GATEHOUSE_REDIS_CLUSTER")
	if addrs == "" {
		t.Skip("GATEHOUSE_REDIS_CLUSTER is not set")
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: strings.Split(addrs, ","), ContextTimeoutEnabled: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, c.Ping(ctx).Err())
	name := strings.NewReplacer("/", ".", " ", "_", ":", ".", "*", "_", "?", "_", "[", "_", "]", "_", "{", "_", "}", "_").Replace(t.Name())
	prefix := "gatehouse-test:" + name + ":" + rand.Text()[:10] + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			iter := m.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				if err := m.Unlink(ctx, iter.Val()).Err(); err != nil {
					return err
				}
			}
			return iter.Err()
		})
		if err != nil {
			t.Errorf("cleaning %s: %v", prefix, err)
		}
		_ = c.Close()
	})
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Now: now})
	require.NoError(t, err)
	return s
}

// TestRevocationsOnCluster runs the revocation and credential conformance
// kits on a Redis Cluster: Revoked's single MGET over a token's jti,
// session and subject keys must never be a cross-slot command, and the
// credential store's writes touch one key per command.
func TestRevocationsOnCluster(t *testing.T) {
	t.Run("revocations", func(t *testing.T) {
		bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
			return clusterStore(t, now).Revocations()
		})
	})
	t.Run("credentials", func(t *testing.T) {
		issuertest.TestCredentialStore(t, func(t *testing.T, accounts ...issuer.Account) issuer.CredentialStore {
			s := clusterStore(t, nil).Credentials()
			for _, a := range accounts {
				require.NoError(t, s.Put(t.Context(), a))
			}
			return s
		})
	})
}
