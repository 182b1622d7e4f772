package issuertest

import (
	"context"
	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"testing"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// CredentialWriter is a CredentialStore that can also add, replace and
// delete accounts (issuer.MemoryCredentials and the Redis store are).
// TestCredentialStore checks the writes of a store that implements it.
type CredentialWriter interface {
	issuer.CredentialStore
	Put(ctx context.Context, a issuer.Account) error
	Delete(ctx context.Context, username string) error
}

// TestCredentialStore checks that a CredentialStore returns exactly the
// accounts it was seeded with, Disabled included: lookups by exact user
// name and by exact subject (the Subject, or the Username of an account
// without one), ErrAccountNotFound for anything else (other case,
// prefixes, the empty name, a user name that is not the subject), copies
// that the caller may modify, context cancellation and concurrent reads.
// For a [CredentialWriter] it also checks that Put and Delete keep the
// subject lookup in step, and that Put refuses a subject another account
// has with issuer.ErrSubjectTaken and a scope that is not one RFC 6749
// scope-token with gatehouse.ErrMalformedScope. newStore must return a store holding
// exactly accounts.
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
	gone := issuer.Account{Username: "gone", PasswordHash: string(hash), Subject: "gone-subject", Disabled: true}

	t.Run("lookup", func(t *testing.T) {
		s := newStore(t, demo, partner, gone)
		got, err := s.LookupAccount(ctx, "demo")
		require.NoError(t, err)
		assert.Equal(t, demo, got)
		require.NoError(t, bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("s3cret-password")))
		got, err = s.LookupAccount(ctx, "partner")
		require.NoError(t, err)
		assert.Equal(t, partner, got)
		got, err = s.LookupAccount(ctx, "gone")
		require.NoError(t, err)
		assert.Equal(t, gone, got, "a disabled account is found, Disabled set")
	})

	t.Run("lookup by subject", func(t *testing.T) {
		s := newStore(t, demo, partner, gone)
		got, err := s.LookupSubject(ctx, "demo-subject")
		require.NoError(t, err)
		assert.Equal(t, demo, got)
		got, err = s.LookupSubject(ctx, "partner")
		require.NoError(t, err)
		assert.Equal(t, partner, got, "an account without Subject has its Username as subject")
		got, err = s.LookupSubject(ctx, "gone-subject")
		require.NoError(t, err)
		assert.True(t, got.Disabled)
		for _, sub := range []string{"", "demo", "gone", "Demo-subject", "demo-subject ", "demo-subjec", "PARTNER", "nobody"} {
			_, err := s.LookupSubject(ctx, sub)
			assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "%q", sub)
		}
	})

	t.Run("unknown names", func(t *testing.T) {
		s := newStore(t, demo)
		for _, name := range []string{"", "Demo", "DEMO", "dem", "demo ", " demo", "demo\x00", "partner", "demo-subject"} {
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
		got, err = s.LookupSubject(ctx, "demo-subject")
		require.NoError(t, err)
		got.Scopes[0] = "admin"
		again, err = s.LookupSubject(ctx, "demo-subject")
		require.NoError(t, err)
		assert.Equal(t, demo.Scopes, again.Scopes)
	})

	t.Run("writes", func(t *testing.T) {
		w, ok := newStore(t, demo, partner).(CredentialWriter)
		if !ok {
			t.Skip("the store has no Put and Delete")
		}
		// Disable, then enable again.
		off := demo
		off.Disabled = true
		require.NoError(t, w.Put(ctx, off))
		got, err := w.LookupSubject(ctx, "demo-subject")
		require.NoError(t, err)
		assert.True(t, got.Disabled)
		require.NoError(t, w.Put(ctx, demo))
		got, err = w.LookupAccount(ctx, "demo")
		require.NoError(t, err)
		assert.False(t, got.Disabled)

		// A new subject replaces the old one.
		moved := demo
		moved.Subject = "demo-2"
		require.NoError(t, w.Put(ctx, moved))
		_, err = w.LookupSubject(ctx, "demo-subject")
		assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "the old subject is gone")
		got, err = w.LookupSubject(ctx, "demo-2")
		require.NoError(t, err)
		assert.Equal(t, "demo", got.Username)

		// A subject names one account.
		thief := issuer.Account{Username: "thief", PasswordHash: string(hash), Subject: "demo-2"}
		assert.ErrorIs(t, w.Put(ctx, thief), issuer.ErrSubjectTaken)
		_, err = w.LookupAccount(ctx, "thief")
		assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "a refused Put stores nothing")
		alias := issuer.Account{Username: "partner-2", PasswordHash: string(hash), Subject: "partner"}
		assert.ErrorIs(t, w.Put(ctx, alias), issuer.ErrSubjectTaken, "the subject of an account without Subject is its Username")
		got, err = w.LookupSubject(ctx, "demo-2")
		require.NoError(t, err)
		assert.Equal(t, "demo", got.Username)

		// A scope that is not one scope-token is refused, never split:
		// "read admin" would become the scopes read and admin.
		for _, bad := range []string{"read admin", "read\tadmin", ""} {
			wide := issuer.Account{Username: "wide", PasswordHash: string(hash), Scopes: []string{"read", bad}}
			assert.ErrorIs(t, w.Put(ctx, wide), gatehouse.ErrMalformedScope, "scope %q", bad)
			_, err = w.LookupAccount(ctx, "wide")
			assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "a refused Put stores nothing")
		}

		// Delete frees the subject.
		require.NoError(t, w.Delete(ctx, "demo"))
		_, err = w.LookupSubject(ctx, "demo-2")
		assert.ErrorIs(t, err, issuer.ErrAccountNotFound)
		_, err = w.LookupAccount(ctx, "demo")
		assert.ErrorIs(t, err, issuer.ErrAccountNotFound)
		require.NoError(t, w.Put(ctx, thief), "the subject is free again")
		got, err = w.LookupSubject(ctx, "demo-2")
		require.NoError(t, err)
		assert.Equal(t, "thief", got.Username)
		require.NoError(t, w.Delete(ctx, "nobody"), "deleting an unknown account is fine")
	})

	storekit.LookupFailures(t, func(t *testing.T) func(context.Context, string) (issuer.Account, error) {
		return newStore(t, demo, partner).LookupAccount
	}, issuer.ErrAccountNotFound, "user", "demo", "partner")
	t.Run("by subject", func(t *testing.T) {
		storekit.LookupFailures(t, func(t *testing.T) func(context.Context, string) (issuer.Account, error) {
			return newStore(t, demo, partner).LookupSubject
		}, issuer.ErrAccountNotFound, "subject", "demo-subject", "partner")
	})
}
