package tokenendpoint_test

import (
	"context"
	"testing"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/gatehouse-go/gatehouse/tokenendpoint/tokenendpointtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryClientsConformance(t *testing.T) {
	tokenendpointtest.TestClientStore(t, func(t *testing.T, clients ...tokenendpoint.Client) tokenendpoint.ClientStore {
		m, err := tokenendpoint.NewMemoryClients(clients...)
		require.NoError(t, err)
		return m
	})
}

func TestMemoryClientsValidation(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	cases := map[string][]tokenendpoint.Client{
		"no id":             {{AssertionKey: key}},
		"no credential":     {{ID: "a"}},
		"short key":         {{ID: "a", AssertionKey: []byte("monApiSignature")}},
		"duplicate id":      {{ID: "a", AssertionKey: key}, {ID: "a", AssertionKey: key}},
		"empty key, no sec": {{ID: "a", AssertionKey: []byte{}}},
	}
	for name, clients := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tokenendpoint.NewMemoryClients(clients...)
			require.Error(t, err)
		})
	}
}

func TestMemoryClientsPutAndDelete(t *testing.T) {
	ctx := context.Background()
	m, err := tokenendpoint.NewMemoryClients()
	require.NoError(t, err)
	key := []byte("0123456789abcdef0123456789abcdef")
	c := tokenendpoint.Client{ID: "a", AssertionKey: key}
	require.NoError(t, m.Put(ctx, c))
	key[0] = 'X' // the store kept its own copy
	got, err := m.LookupClient(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, byte('0'), got.AssertionKey[0])
	require.NoError(t, m.Delete(ctx, "a"))
	_, err = m.LookupClient(ctx, "a")
	assert.ErrorIs(t, err, tokenendpoint.ErrClientNotFound)
	require.NoError(t, m.Delete(ctx, "a"))
}

func TestGenerateClientSecret(t *testing.T) {
	s1, h1 := tokenendpoint.GenerateClientSecret()
	s2, h2 := tokenendpoint.GenerateClientSecret()
	assert.Len(t, s1, 43)
	assert.NotEqual(t, s1, s2)
	assert.Equal(t, tokenendpoint.HashClientSecret(s1), h1)
	assert.NotEqual(t, h1, h2)
}

// TestClientStoreKitSeedsEveryFlag: the conformance kit seeds a client
// with every flag a store must persist set, RequireDPoP included, so that
// a store that forgot one would fail it (a client whose tokens must be
// DPoP-bound would get bearer tokens).
func TestClientStoreKitSeedsEveryFlag(t *testing.T) {
	var shortKey, requireDPoP bool
	tokenendpointtest.TestClientStore(t, func(t *testing.T, clients ...tokenendpoint.Client) tokenendpoint.ClientStore {
		for _, c := range clients {
			shortKey = shortKey || c.InsecureShortAssertionKey
			requireDPoP = requireDPoP || c.RequireDPoP
		}
		m, err := tokenendpoint.NewMemoryClients(clients...)
		require.NoError(t, err)
		return m
	})
	assert.True(t, shortKey, "InsecureShortAssertionKey")
	assert.True(t, requireDPoP, "RequireDPoP")
}
