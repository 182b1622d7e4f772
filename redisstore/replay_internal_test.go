package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// Use tells a missing epoch record (ErrStateLost) from one that is not a
// number (errCorruptEpoch), and neither spends the key.
func TestReplayEpochReplies(t *testing.T) {
	c := redistest.Client(t)
	s, err := New(Config{Client: c, Prefix: redistest.Prefix(t, c), SkipServerCheck: true})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.Replay().Use(ctx, "client", "key", time.Millisecond)
	require.ErrorIs(t, err, ErrStateLost, "no epoch record")
	require.NoError(t, c.Set(ctx, s.epoch, "not a number", 0).Err())
	_, err = s.Replay().Use(ctx, "client", "key", time.Millisecond)
	require.ErrorIs(t, err, errCorruptEpoch)
	assert.NotErrorIs(t, err, ErrStateLost)
	require.NoError(t, c.Set(ctx, s.epoch, "0", 0).Err()) // 1970: older than any ttl
	fresh, err := s.Replay().Use(ctx, "client", "key", time.Hour)
	require.NoError(t, err)
	assert.True(t, fresh, "nothing spent the key before")
}
