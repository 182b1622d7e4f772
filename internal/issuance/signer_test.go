package issuance

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignerRoundTrip checks the signing API other grant types build on:
// sign any claim struct, parse it back with the same checks logout uses.
func TestSignerRoundTrip(t *testing.T) {
	s, err := NewSigner("k1", "", []byte("0123456789abcdef0123456789abcdef"), AccessTokenType)
	require.NoError(t, err)
	type grantClaims struct {
		jwt.RegisteredClaims
		ClientID string `json:"client_id"`
	}
	tok, err := s.Sign(grantClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "svc", ID: "j1"}, ClientID: "app"})
	require.NoError(t, err)
	var got grantClaims
	require.NoError(t, s.Parse(tok, AccessTokenType, &got))
	assert.Equal(t, "svc", got.Subject)
	assert.Equal(t, "app", got.ClientID)

	other, err := NewSigner("k2", "", []byte("0123456789abcdef0123456789abcdef"), AccessTokenType)
	require.NoError(t, err)
	assert.Error(t, other.Parse(tok, AccessTokenType, &got), "kid mismatch")
	_, err = s.Sign(make(chan int))
	assert.Error(t, err)
}

// countingClaims records whether its claims were decoded.
type countingClaims struct {
	jwt.RegisteredClaims
	decoded *bool
}

func (c *countingClaims) UnmarshalJSON(b []byte) error {
	*c.decoded = true
	return json.Unmarshal(b, &c.RegisteredClaims)
}

// TestSignerParseVerifiesBeforeDecoding is the regression test for logout
// decoding the claims of a token before checking its signature: a forged
// token must cost no claims decoding.
func TestSignerParseVerifiesBeforeDecoding(t *testing.T) {
	s, err := NewSigner("", "", []byte("0123456789abcdef0123456789abcdef"), AccessTokenType)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(jwt.RegisteredClaims{Subject: "svc", ID: "j1"})
	if err != nil {
		t.Fatal(err)
	}
	decoded := false
	forged := tok[:strings.LastIndexByte(tok, '.')+1] + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	if err := s.Parse(forged, AccessTokenType, &countingClaims{decoded: &decoded}); err == nil {
		t.Fatal("forged signature accepted")
	}
	if decoded {
		t.Fatal("claims of a token with a bad signature were decoded")
	}
	got := countingClaims{decoded: &decoded}
	if err := s.Parse(tok, AccessTokenType, &got); err != nil || !decoded || got.Subject != "svc" {
		t.Fatalf("genuine token: err %v, decoded %v, sub %q", err, decoded, got.Subject)
	}
}
