package attempts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/internal/attempts"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// counter is a Throttle without the batch methods: it counts attempts per
// key and refuses a key at limit.
type counter struct {
	limit int
	n     map[string]int
	calls int
}

var errRefused = errors.New("too many attempts")

func (c *counter) Begin(_ context.Context, key string) (string, error) {
	c.calls++
	if c.n[key] >= c.limit {
		return "", errRefused
	}
	c.n[key]++
	return key, nil
}

func (c *counter) Succeed(_ context.Context, key, id string) error {
	c.calls++
	if id == key {
		c.n[key]--
	}
	return nil
}

func (c *counter) Reset(_ context.Context, key string) error {
	c.calls++
	delete(c.n, key)
	return nil
}

// Without batch methods, each key is one call, and a refused key takes
// back the attempts counted before it.
func TestOneKeyAtATime(t *testing.T) {
	ctx := context.Background()
	c := &counter{limit: 1, n: map[string]int{"user:b": 1}}
	a, b := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.ErrorIs(t, attempts.Begin(ctx, c, a, b), errRefused)
	assert.Zero(t, c.n["ip:a"], "the address's attempt was taken back")

	c = &counter{limit: 5, n: map[string]int{"user:b": 2}}
	a, b = &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.NoError(t, attempts.Begin(ctx, c, a, b))
	assert.Equal(t, "ip:a", a.ID)
	assert.Equal(t, 2, c.calls)
	require.NoError(t, attempts.SettleGood(ctx, c, b, a))
	assert.NotContains(t, c.n, "user:b", "the user name's failures are forgotten")
	assert.Zero(t, c.n["ip:a"], "the address's own attempt is taken back")

	attempts.End(ctx, nil, a) // no throttle: nothing to do
}

// ratelimit.FailureThrottle has the batch methods: the same steps, with
// the same effect on the counts.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 1})
	require.NoError(t, err)
	var _ attempts.Batch = thr

	a, b := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.NoError(t, attempts.Begin(ctx, thr, a, b))
	assert.NotEmpty(t, a.ID)
	assert.NotEmpty(t, b.ID)
	// Both keys are at Max: another attempt is refused, and counts nowhere.
	c, d := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.Error(t, attempts.Begin(ctx, thr, c, d))

	attempts.End(ctx, thr, a, b) // taken back: both keys are free again
	e, f := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.NoError(t, attempts.Begin(ctx, thr, e, f))
	require.NoError(t, attempts.SettleGood(ctx, thr, f, e))
	g, h := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.NoError(t, attempts.Begin(ctx, thr, g, h), "a good credential settled both keys")
}

// reordering answers BeginAll's attempts in another order than its keys.
type reordering struct {
	*ratelimit.FailureThrottle
	settled []ratelimit.Attempt
}

func (r *reordering) BeginAll(ctx context.Context, keys ...string) ([]ratelimit.Attempt, error) {
	got, err := r.FailureThrottle.BeginAll(ctx, keys...)
	if len(got) == 2 {
		got[0], got[1] = got[1], got[0]
	}
	return got, err
}

func (r *reordering) Settle(ctx context.Context, reset []string, succeed ...ratelimit.Attempt) error {
	r.settled = append(r.settled, succeed...)
	return r.FailureThrottle.Settle(ctx, reset, succeed...)
}

// A batch whose attempts do not match its keys is an error, and what it
// counted is taken back: ids are never matched to the wrong key.
func TestBatchMismatch(t *testing.T) {
	ctx := context.Background()
	thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 1})
	require.NoError(t, err)
	r := &reordering{FailureThrottle: thr}
	a, b := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.ErrorIs(t, attempts.Begin(ctx, r, a, b), attempts.ErrBatchCount)
	assert.Empty(t, a.ID)
	assert.Len(t, r.settled, 2, "both counted attempts taken back")
	c, d := &attempts.Attempt{Key: "ip:a"}, &attempts.Attempt{Key: "user:b"}
	require.NoError(t, attempts.Begin(ctx, thr, c, d), "nothing stays counted")
}
