package issuer

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignerRoundTrip checks the signing API other grant types build on:
// sign any claim struct, parse it back with the same checks logout uses.
func TestSignerRoundTrip(t *testing.T) {
	s, err := newSigner(SigningKey{ID: "k1", Key: []byte("0123456789abcdef0123456789abcdef")}, AccessTokenType)
	require.NoError(t, err)
	type grantClaims struct {
		jwt.RegisteredClaims
		ClientID string `json:"client_id"`
	}
	tok, err := s.sign(grantClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "svc", ID: "j1"}, ClientID: "app"})
	require.NoError(t, err)
	var got grantClaims
	require.NoError(t, s.parse(tok, AccessTokenType, &got))
	assert.Equal(t, "svc", got.Subject)
	assert.Equal(t, "app", got.ClientID)

	other, err := newSigner(SigningKey{ID: "k2", Key: []byte("0123456789abcdef0123456789abcdef")}, AccessTokenType)
	require.NoError(t, err)
	assert.Error(t, other.parse(tok, AccessTokenType, &got), "kid mismatch")
	_, err = s.sign(make(chan int))
	assert.Error(t, err)
}
