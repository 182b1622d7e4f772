package issuertest

import (
	"context"
	"testing"

	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// TestCredentialStore checks that a CredentialStore returns exactly the
// accounts it was seeded with: lookups by exact user name, ErrAccountNotFound
// for anything else (other case, prefixes, the empty name), copies that the
// caller may modify, context cancellation and concurrent reads.
// newStore must return a store holding exactly accounts.
func TestCredentialStore(t *testing.T, newStore func(t *testing.T, accounts ...issuer.Account) issuer.CredentialStore) {
	t.Helper()
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-password"), bcrypt.MinCost)
	require.NoError(t, err)
	demo := issuer.Account{
		Username: "demo", PasswordHash: string(hash), Subject: "demo-subject",
		Tenant: "123456", ClientID: "123456", Scopes: []string{"products:read", "categories:read"},
	}
	partner := issuer.Account{Username: "partner", PasswordHash: string(hash), ClientID: "654321"}

	t.Run("lookup", func(t *testing.T) {
		s := newStore(t, demo, partner)
		got, err := s.LookupAccount(ctx, "demo")
		require.NoError(t, err)
		assert.Equal(t, demo, got)
		require.NoError(t, bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("s3cret-password")))
		got, err = s.LookupAccount(ctx, "partner")
		require.NoError(t, err)
		assert.Equal(t, partner, got)
	})

	t.Run("unknown names", func(t *testing.T) {
		s := newStore(t, demo)
		for _, name := range []string{"", "Demo", "DEMO", "dem", "demo ", " demo", "demo\x00", "partner"} {
			_, err := s.LookupAccount(ctx, name)
			assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "%q", name)
		}
	})

	t.Run("returned accounts are copies", func(t *testing.T) {
		s := newStore(t, demo)
		got, err := s.LookupAccount(ctx, "demo")
		require.NoError(t, err)
		got.Scopes[0] = "admin"
		again, err := s.LookupAccount(ctx, "demo")
		require.NoError(t, err)
		assert.Equal(t, demo.Scopes, again.Scopes)
	})

	testLookupFailures(t, func(t *testing.T) func(context.Context, string) (issuer.Account, error) {
		return newStore(t, demo, partner).LookupAccount
	}, issuer.ErrAccountNotFound, "user", "demo", "partner")
}
