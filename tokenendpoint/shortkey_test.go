package tokenendpoint_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedSignature is seed 002's PHP sample key: 15 bytes, below RFC 7518
// §3.2's 32.
const seedSignature = "monApiSignature"

func TestShortAssertionKeyNeedsTheOptIn(t *testing.T) {
	cases := []struct {
		name string
		c    tokenendpoint.Client
		ok   bool
	}{
		{"seed key without the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: []byte(seedSignature)}, false},
		{"31 bytes without the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: make([]byte, 31)}, false},
		{"seed key with the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: []byte(seedSignature), InsecureShortAssertionKey: true}, true},
		{"the floor with the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: []byte("12345678"), InsecureShortAssertionKey: true}, true},
		{"below the floor with the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: []byte("1234567"), InsecureShortAssertionKey: true}, false},
		{"empty key with the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: []byte{}, InsecureShortAssertionKey: true}, false},
		{"empty key with the opt-in and a secret", tokenendpoint.Client{ID: "a", AssertionKey: []byte{}, SecretHash: tokenendpoint.HashClientSecret("s"), InsecureShortAssertionKey: true}, false},
		{"long key with the opt-in", tokenendpoint.Client{ID: "a", AssertionKey: make([]byte, 32), InsecureShortAssertionKey: true}, true},
		{"opt-in without a key", tokenendpoint.Client{ID: "a", SecretHash: tokenendpoint.HashClientSecret("s"), InsecureShortAssertionKey: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tokenendpoint.NewMemoryClients(tc.c)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			got, err := m.LookupClient(context.Background(), "a")
			require.NoError(t, err)
			assert.Equal(t, tc.c, got, "the opt-in is kept")
		})
	}
	assert.Equal(t, 8, tokenendpoint.MinInsecureAssertionKeyBytes)
	assert.Equal(t, 32, tokenendpoint.MinAssertionKeyBytes)
}

// unvalidatedClients is a ClientStore that returns whatever it holds,
// without NewMemoryClients' checks: the issuer checks the key again.
type unvalidatedClients map[string]tokenendpoint.Client

func (u unvalidatedClients) LookupClient(_ context.Context, id string) (tokenendpoint.Client, error) {
	c, ok := u[id]
	if !ok {
		return tokenendpoint.Client{}, tokenendpoint.ErrClientNotFound
	}
	return c, nil
}

// phpAssertion is seed 002's PHP sample, byte for byte:
// JWT::encode(array("amount" => 100, "iat" => time(), "notificationKey" => nk), $signature).
func phpAssertion(t testing.TB, iat int64, nk, signature string) string {
	claims := json.RawMessage(`{"amount":100,"iat":` + strconv.FormatInt(iat, 10) + `,"notificationKey":"` + nk + `"}`)
	return jws(t, jwtHeader, claims, []byte(signature))
}

func TestShortAssertionKeyAtTheTokenEndpoint(t *testing.T) {
	legacy, err := tokenendpoint.NewMemoryClients(
		tokenendpoint.Client{ID: "legacy", AssertionKey: []byte(seedSignature), InsecureShortAssertionKey: true, Scopes: []string{"vouchers:reserve"}},
		tokenendpoint.Client{ID: "modern", AssertionKey: appOnlyKey},
	)
	require.NoError(t, err)
	f := newTokenFixture(t, func(c *tokenendpoint.Config) { c.Clients = legacy })
	now := f.clock.Now()

	t.Run("the seed's PHP sample gets a client session", func(t *testing.T) {
		b := decodeToken(t, f.assertionGrant("legacy", phpAssertion(t, now.Unix(), "12345", seedSignature)))
		assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionClient, ClientID: "legacy", Amount: "100", NotificationKey: "12345"},
			f.verify(t, b.AccessToken))
	})
	t.Run("another key is refused", func(t *testing.T) {
		w := f.assertionGrant("legacy", phpAssertion(t, now.Unix(), "k-2", seedSignature+"x"))
		require.Equal(t, http.StatusBadRequest, w.Code)
		_, desc := oauthError(t, w)
		assert.Equal(t, "Invalid assertion", desc)
	})
	t.Run("one legacy client does not weaken another", func(t *testing.T) {
		// "modern" cannot be given a short key by a store that forgets to
		// validate: the issuer checks the length again.
		f := newTokenFixture(t, func(c *tokenendpoint.Config) {
			c.Clients = unvalidatedClients{
				"modern":  {ID: "modern", AssertionKey: []byte(seedSignature)},
				"tiny":    {ID: "tiny", AssertionKey: []byte("1234567"), InsecureShortAssertionKey: true},
				"empty":   {ID: "empty", AssertionKey: []byte{}, InsecureShortAssertionKey: true},
				"legacy":  {ID: "legacy", AssertionKey: []byte(seedSignature), InsecureShortAssertionKey: true},
				"floored": {ID: "floored", AssertionKey: []byte("12345678"), InsecureShortAssertionKey: true},
			}
		})
		for _, tc := range []struct{ id, key string }{{"modern", seedSignature}, {"tiny", "1234567"}, {"empty", ""}} {
			w := f.assertionGrant(tc.id, phpAssertion(t, now.Unix(), "k-"+tc.id, tc.key))
			require.Equal(t, http.StatusBadRequest, w.Code, tc.id)
			_, desc := oauthError(t, w)
			assert.Equal(t, "Invalid assertion", desc, tc.id)
		}
		decodeToken(t, f.assertionGrant("legacy", phpAssertion(t, now.Unix(), "k-legacy", seedSignature)))
		decodeToken(t, f.assertionGrant("floored", phpAssertion(t, now.Unix(), "k-floored", "12345678")))
	})
}
