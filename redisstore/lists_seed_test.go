package redisstore_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// SetIfAbsent seeds a list only where none is stored: it never overwrites
// a list written by Set or by an earlier SetIfAbsent, and of concurrent
// seeds exactly one writes.
func TestListsSetIfAbsent(t *testing.T) {
	c := redistest.Client(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c)})
	require.NoError(t, err)
	established(t, s)
	lists, ctx := s.Lists(), context.Background()
	seed := []netip.Prefix{netip.MustParsePrefix("10.1.2.3/24")}
	edited := []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}

	wrote, err := lists.SetIfAbsent(ctx, "acct-1", seed)
	require.NoError(t, err)
	assert.True(t, wrote)
	got, err := lists.AllowList(ctx, "acct-1")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}, got, "stored masked, read back by AllowList")

	require.NoError(t, lists.Set(ctx, "acct-1", edited))
	wrote, err = lists.SetIfAbsent(ctx, "acct-1", seed)
	require.NoError(t, err)
	assert.False(t, wrote)
	got, err = lists.AllowList(ctx, "acct-1")
	require.NoError(t, err)
	assert.Equal(t, edited, got, "the edit survives the seed")

	wrote, err = lists.SetIfAbsent(ctx, "acct-2", nil)
	require.NoError(t, err)
	assert.True(t, wrote, "an empty seed writes the explicit no-restriction record")
	wrote, err = lists.SetIfAbsent(ctx, "acct-2", seed)
	require.NoError(t, err)
	assert.False(t, wrote, "which a later seed does not overwrite")
	got, err = lists.AllowList(ctx, "acct-2")
	require.NoError(t, err)
	assert.Empty(t, got, "no restriction")
	require.NoError(t, lists.Set(ctx, "acct-1", nil))
	wrote, err = lists.SetIfAbsent(ctx, "acct-1", seed)
	require.NoError(t, err)
	assert.False(t, wrote, "a list emptied on purpose is not seeded again")

	_, err = lists.SetIfAbsent(ctx, "acct-3", []netip.Prefix{{}})
	assert.True(t, errors.Is(err, ipallow.ErrInvalidPrefix), "%v", err)
	got, err = lists.AllowList(ctx, "acct-3")
	require.NoError(t, err)
	assert.Empty(t, got, "an invalid seed changes nothing")

	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for i := range 8 {
		wg.Go(func() {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 9, 0, byte(i)}), 32)
			w, err := lists.SetIfAbsent(ctx, "acct-4", []netip.Prefix{p})
			assert.NoError(t, err)
			wins <- w
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	assert.Equal(t, 1, n, "exactly one concurrent seed writes")
}
