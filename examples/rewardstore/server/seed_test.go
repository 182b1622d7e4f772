package server_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/ipallow"
)

// New seeds an account's whitelist only when the shared list store holds
// none (a store without SetIfAbsent: read, then write), so a second
// instance keeps a list edited after the first one started.
func TestNewSeedsOnlyAbsentLists(t *testing.T) {
	lists := ipallow.NewMemoryLists()
	cfg := server.Config{
		Accounts:   []server.Account{{Username: "demo", Password: "pw", ClientID: "1", AllowedIPs: []string{"127.0.0.2"}}, server.Partner},
		Lists:      lists,
		BcryptCost: bcrypt.MinCost,
	}
	_, err := server.New(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	got, err := lists.AllowList(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, got)

	edited := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	require.NoError(t, lists.Set(ctx, "1", edited))
	_, err = server.New(cfg)
	require.NoError(t, err)
	got, err = lists.AllowList(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, edited, got)
}
