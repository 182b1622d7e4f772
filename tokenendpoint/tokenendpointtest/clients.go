package tokenendpointtest

import (
	"context"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"testing"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientStore checks that a ClientStore returns exactly the clients it
// was seeded with: lookups by exact client_id with every field intact
// (InsecureShortAssertionKey and RequireDPoP included),
// ErrClientNotFound for anything else (other case, prefixes, the empty id),
// copies that the caller may modify (scopes and the assertion key),
// context cancellation and concurrent reads. newStore must return a store
// holding exactly clients.
func TestClientStore(t *testing.T, newStore func(t *testing.T, clients ...tokenendpoint.Client) tokenendpoint.ClientStore) {
	t.Helper()
	ctx := context.Background()
	_, hash := tokenendpoint.GenerateClientSecret()
	shop := tokenendpoint.Client{
		ID: "ABCD", SecretHash: hash, AssertionKey: []byte("monApiSignature-monApiSignature-0"),
		Subject: "shop-subject", Tenant: "t-1", Scopes: []string{"vouchers:reserve", "stores:read"},
	}
	m2m := tokenendpoint.Client{ID: "server-1", SecretHash: tokenendpoint.HashClientSecret("another-secret")}
	// A client whose tokens must all be DPoP-bound: a store that forgot
	// the flag would hand it bearer tokens.
	app := tokenendpoint.Client{ID: "app-1", AssertionKey: []byte("0123456789abcdef0123456789abcdef"), RequireDPoP: true}
	// A legacy client with a 15-byte signature: the store must keep
	// the opt-in flag with the key, or the client could not sign in.
	legacy := tokenendpoint.Client{ID: "legacy-1", AssertionKey: []byte("monApiSignature"), InsecureShortAssertionKey: true}

	t.Run("lookup", func(t *testing.T) {
		s := newStore(t, shop, m2m, app, legacy)
		for _, want := range []tokenendpoint.Client{shop, m2m, app, legacy} {
			got, err := s.LookupClient(ctx, want.ID)
			require.NoError(t, err, want.ID)
			assert.Equal(t, want, got)
		}
	})

	t.Run("unknown ids", func(t *testing.T) {
		s := newStore(t, shop)
		for _, id := range []string{"", "abcd", "ABC", "ABCDE", " ABCD", "ABCD\x00", "server-1"} {
			_, err := s.LookupClient(ctx, id)
			assert.ErrorIs(t, err, tokenendpoint.ErrClientNotFound, "%q", id)
		}
	})

	t.Run("returned clients are copies", func(t *testing.T) {
		s := newStore(t, shop)
		got, err := s.LookupClient(ctx, "ABCD")
		require.NoError(t, err)
		got.Scopes[0] = "admin"
		got.AssertionKey[0] ^= 0xff
		again, err := s.LookupClient(ctx, "ABCD")
		require.NoError(t, err)
		assert.Equal(t, shop.Scopes, again.Scopes)
		assert.Equal(t, shop.AssertionKey, again.AssertionKey)
	})

	storekit.LookupFailures(t, func(t *testing.T) func(context.Context, string) (tokenendpoint.Client, error) {
		return newStore(t, shop, m2m).LookupClient
	}, tokenendpoint.ErrClientNotFound, "client", "ABCD", "server-1")
}
