package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// With MinReplicas, RevokeTokenAndSession returns once a replica has both
// keys (on the cluster: the WAIT runs on the master of the subject's
// slot), and on a Redis without replicas it reports ErrNotReplicated.
func TestRevokeTokenAndSessionWaitsForReplicas(t *testing.T) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour)

	c := redistest.Cluster(t)
	s, err := New(Config{Client: c, Prefix: redistest.Prefix(t, c), MinReplicas: 1, ReplicaTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	for i := range 10 {
		sub := fmt.Sprint("user-", i)
		require.NoError(t, s.Revocations().RevokeTokenAndSession(ctx, sub, "jti", until, "sid", until))
		assert.True(t, onReplica(t, c, s.revocations.subjectKey(sub, kindJTI, "jti")), sub)
		assert.True(t, onReplica(t, c, s.revocations.subjectKey(sub, kindSID, "sid")), sub)
	}

	single := redistest.Client(t)
	lone, err := New(Config{Client: single, Prefix: redistest.Prefix(t, single), MinReplicas: 1, ReplicaTimeout: 50 * time.Millisecond, SkipServerCheck: true})
	require.NoError(t, err)
	require.ErrorIs(t, lone.Revocations().RevokeTokenAndSession(ctx, "alice", "jti", until, "sid", until), ErrNotReplicated)
}
