package ipallow_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ipallow/ipallowtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryLists(t *testing.T) {
	ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor { return ipallow.NewMemoryLists() })
}

// listsOnly hides MemoryLists' SetStore method, so PerPrincipal takes the
// path a plain ListStore (such as a Redis store) takes.
type listsOnly struct{ ipallow.ListEditor }

func TestListStorePath(t *testing.T) {
	ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor { return listsOnly{ipallow.NewMemoryLists()} })
}

func TestMemoryListsZeroValue(t *testing.T) {
	var m ipallow.MemoryLists
	ctx := context.Background()
	set, err := m.AllowSet(ctx, "acct")
	require.NoError(t, err)
	assert.Nil(t, set)
	require.NoError(t, m.Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
	set, err = m.AllowSet(ctx, "acct")
	require.NoError(t, err)
	assert.True(t, set.Contains(netip.MustParseAddr("10.9.9.9")))
	_, err = m.AllowList(canceled(), "acct")
	require.ErrorIs(t, err, context.Canceled)
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
