package tokenendpoint_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/gatehouse-go/gatehouse/tokenendpoint/tokenendpointtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryReplayConformance(t *testing.T) {
	tokenendpointtest.TestReplayStore(t, func(*testing.T) tokenendpoint.ReplayStore { return mustMemoryReplay(nil) })
}

func TestMemoryReplayForgetsExpiredKeys(t *testing.T) {
	c := newClock()
	m := mustMemoryReplay(c.Now)
	ctx := context.Background()
	fresh, err := m.Use(ctx, "client", "old", time.Minute)
	require.NoError(t, err)
	require.True(t, fresh)
	c.Add(time.Minute)
	fresh, err = m.Use(ctx, "client", "old", time.Minute)
	require.NoError(t, err)
	assert.True(t, fresh, "expired at exactly its ttl")

	c.Add(2 * time.Minute)
	for n := range 1100 {
		if n == 600 {
			c.Add(2 * time.Second) // the first 600 keys expire
		}
		_, err := m.Use(ctx, "client", fmt.Sprint(n), time.Second)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, m.Len(), 1100-600, "the sweep dropped expired keys")
}

func BenchmarkMemoryReplayUse(b *testing.B) {
	m := mustMemoryReplay(nil)
	ctx := context.Background()
	keys := make([]string, 4096)
	for n := range keys {
		keys[n] = fmt.Sprint("nk-", n)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_, _ = m.Use(ctx, "client", keys[n%len(keys)], time.Millisecond)
		n++
	}
}
