// Package storekit holds test support shared by the issuer and token
// endpoint packages and their conformance kits (issuertest,
// tokenendpointtest): the lookup checks both kits run, a counting
// throttle, a settable clock, an audit-event recorder, and DPoP verifiers,
// signers and proofs.
package storekit

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LookupFailures runs the subtests a store that looks records up by key
// (ClientStore, CredentialStore) shares: a lookup under a canceled context
// fails with an error other than notFound, and concurrent lookups of the
// known keys and of an unknown one each get the right answer. newLookup
// returns the lookup method of a new store holding exactly the records
// named by known; what names a record in failure messages.
func LookupFailures[T any](t *testing.T, newLookup func(t *testing.T) func(context.Context, string) (T, error), notFound error, what string, known ...string) {
	t.Helper()
	ctx := context.Background()

	t.Run("canceled context", func(t *testing.T) {
		lookup := newLookup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := lookup(cctx, known[0])
		require.Error(t, err)
		assert.False(t, errors.Is(err, notFound), "a failed lookup is not an unknown %s", what)
	})

	t.Run("concurrent lookups", func(t *testing.T) {
		lookup := newLookup(t)
		keys := append(known[:len(known):len(known)], "nobody")
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := keys[g%len(keys)]
				for range 50 {
					_, err := lookup(ctx, key)
					if key == "nobody" != errors.Is(err, notFound) {
						t.Errorf("lookup %q: %v", key, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}
