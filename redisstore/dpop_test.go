package redisstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestDPoPReplayAcrossInstances: two instances, each with its own client
// and Store on one Redis, check DPoP proofs through the Store's replay
// store; a proof one accepted is refused by the other.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	one := established(t, newStore(t, nil))
	other, err := redisstore.New(redisstore.Config{Client: redistest.Client(t), Prefix: one.Prefix(), Timeout: 2 * time.Second})
	require.NoError(t, err)
	instance := func(s *redisstore.Store) *bearer.Authenticator {
		v, err := dpop.New(dpop.Config{Replay: s.Replay(), Origin: "https://api.example.com"})
		require.NoError(t, err)
		a, err := bearer.New(bearer.Config{
			Algorithms: []string{"HS256"},
			Issuers:    []bearer.Issuer{{URL: "dpop", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
			DPoP:       bearer.DPoP{Mode: bearer.DPoPRequired, Verifier: v},
		})
		require.NoError(t, err)
		return a
	}
	a, b := instance(one), instance(other)

	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	key, err := dpop.NewSigner(k, "")
	require.NoError(t, err)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "dpop", "sub": "u1", "exp": time.Now().Add(time.Hour).Unix(), "cnf": map[string]any{"jkt": key.Thumbprint()},
	}).SignedString(testSecret)
	require.NoError(t, err)
	proof, err := key.Sign(dpop.ProofRequest{Method: "GET", URI: "https://api.example.com/orders", AccessToken: tok})
	require.NoError(t, err)
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://api.example.com/orders", nil)
		r.Header.Set("Authorization", "DPoP "+tok)
		r.Header.Set("DPoP", proof)
		return r
	}
	_, err = a.Check(req())
	require.NoError(t, err)
	_, err = b.Check(req())
	assert.ErrorIs(t, err, dpop.ErrReplayed, "replayed to another instance")
	_, err = a.Check(req())
	assert.ErrorIs(t, err, dpop.ErrReplayed)
}
