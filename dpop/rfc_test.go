package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// The examples of RFC 9449: the proof of a token request (Figure 2, §4.1)
// and of a resource request with an access token (Figure 13, §7.1), both
// signed with the key of Figure 2, whose thumbprint §6.1 gives.
const (
	rfcTokenProof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19" +
		".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ" +
		".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfcResourceProof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19" +
		".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9" +
		".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	rfcAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfcATH         = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
	rfcJKT         = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func TestRFC9449TokenRequestProof(t *testing.T) {
	v := newVerifier(t, dpop.Config{Now: func() time.Time { return time.Unix(1562262616, 0) }})
	r := httptest.NewRequest(http.MethodPost, "https://server.example.com/token", nil)
	r.Header.Set("DPoP", rfcTokenProof)
	p, err := v.Verify(context.Background(), r, "")
	require.NoError(t, err)
	assert.Equal(t, dpop.Proof{Thumbprint: rfcJKT, JTI: "-BwC3ESc6acc2lTc", IssuedAt: time.Unix(1562262616, 0).UTC(), Algorithm: "ES256"}, p)

	_, err = v.Verify(context.Background(), r, "")
	assert.ErrorIs(t, err, dpop.ErrReplayed, "the same proof twice")
}

func TestRFC9449ResourceProof(t *testing.T) {
	assert.Equal(t, rfcATH, dpop.TokenHash(rfcAccessToken))
	v := newVerifier(t, dpop.Config{Now: func() time.Time { return time.Unix(1562262618+30, 0) }})
	r := httptest.NewRequest(http.MethodGet, "https://resource.example.org/protectedresource", nil)
	r.Header.Set("Authorization", "DPoP "+rfcAccessToken)
	r.Header.Set("DPoP", rfcResourceProof)

	_, err := v.Verify(context.Background(), r, "another token")
	assert.ErrorIs(t, err, dpop.ErrTokenHash)
	_, err = v.VerifyBound(context.Background(), r, rfcAccessToken, "another thumbprint")
	assert.ErrorIs(t, err, dpop.ErrKeyMismatch)

	p, err := v.VerifyBound(context.Background(), r, rfcAccessToken, rfcJKT)
	require.NoError(t, err, "the refusals spent nothing")
	assert.Equal(t, "e1j3V_bKic8-LAEB", p.JTI)
	assert.Equal(t, rfcJKT, p.Thumbprint)

	late := newVerifier(t, dpop.Config{Now: func() time.Time { return time.Unix(1562262618+61, 0) }})
	_, err = late.Verify(context.Background(), r, rfcAccessToken)
	assert.ErrorIs(t, err, dpop.ErrProofExpired)
}

// The JWK of RFC 7638 §3.1, whose thumbprint §3.1 gives.
func TestRFC7638Thumbprint(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	require.NoError(t, err)
	got, err := dpop.Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	require.NoError(t, err)
	assert.Equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", got)

	// And the EC key of RFC 9449 Figure 2, whose thumbprint §6.1 gives.
	x, _ := base64.RawURLEncoding.DecodeString("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs")
	y, _ := base64.RawURLEncoding.DecodeString("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	require.NoError(t, err)
	got, err = dpop.Thumbprint(pub)
	require.NoError(t, err)
	assert.Equal(t, rfcJKT, got)
}
