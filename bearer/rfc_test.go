package bearer

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known answers from RFC 7515 Appendix A and RFC 8037 Appendix A. The RFC
// 7515 payload is {"iss":"joe","exp":1300819380,"http://example.com/is_root":true}
// (with CRLFs), so the examples verify end to end with a clock just before
// 1300819380.
const (
	rfcPayload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

	rfcA1Key   = `{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}`
	rfcA1Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfcPayload + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

	rfcA2Key = `{"kty":"RSA","e":"AQAB","n":"` +
		"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qP" +
		"CJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7" +
		"OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uD" +
		"Zlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcD" +
		"TW9gb54h4FRWyuXpoQ" + `"}`
	rfcA2Token = "eyJhbGciOiJSUzI1NiJ9." + rfcPayload + "." +
		"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7" +
		"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4" +
		"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K" +
		"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" +
		"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB" +
		"p0igcN_IoypGlUPQGe77Rw"

	rfcA3Key   = `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	rfcA3Token = "eyJhbGciOiJFUzI1NiJ9." + rfcPayload + "." +
		"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

	rfc8037Key   = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rfc8037Seed  = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037Token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

func TestRFC7515KnownAnswers(t *testing.T) {
	before := time.Unix(1300819370, 0)
	tests := []struct {
		name, alg, jwk, token string
	}{
		{"A.1 HS256", "HS256", rfcA1Key, rfcA1Token},
		{"A.2 RS256", "RS256", rfcA2Key, rfcA2Token},
		{"A.3 ES256", "ES256", rfcA3Key, rfcA3Token},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, err := ParseJWK([]byte(tc.jwk), tc.alg)
			require.NoError(t, err)
			assert.Equal(t, tc.alg, key.Algorithm)
			c := newClock(before)
			a := mustNew(t, Config{Algorithms: []string{tc.alg}, Issuers: []Issuer{{URL: "joe", Keys: []Key{key}}}, Now: c.Now})

			p, err := a.Check(bearerRequest(tc.token))
			require.NoError(t, err)
			claims := p.Claims.(Claims)
			isRoot, _ := claims.Get("http://example.com/is_root")
			assert.Equal(t, true, isRoot)
			assert.True(t, p.ExpiresAt.Equal(time.Unix(1300819380, 0)))

			c.Add(10 * time.Second) // now == exp
			_, err = a.Check(bearerRequest(tc.token))
			assert.ErrorIs(t, err, ErrTokenExpired, "cached entry dies at exp")

			b := mustNew(t, Config{Algorithms: []string{tc.alg}, Issuers: []Issuer{{URL: "joe", Keys: []Key{key}}}, Now: func() time.Time { return before }})
			_, err = b.Check(bearerRequest(flip(tc.token, len(tc.token)-5)))
			assert.ErrorIs(t, err, ErrTokenInvalid)
		})
	}
}

func TestRFC8037Ed25519(t *testing.T) {
	key, err := ParseJWK([]byte(rfc8037Key), "")
	require.NoError(t, err)
	require.Equal(t, "EdDSA", key.Algorithm)

	seed, err := base64.RawURLEncoding.DecodeString(rfc8037Seed)
	require.NoError(t, err)
	priv := ed25519.NewKeyFromSeed(seed)
	assert.Equal(t, key.Key, priv.Public(), "the RFC's private key derives the RFC's public key")

	// The RFC's JWS signs a non-JSON payload: verify its signature with the
	// bound key, then the deterministic Ed25519 signature of the RFC's
	// signing input from the RFC's private key.
	i := strings.LastIndexByte(rfc8037Token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(rfc8037Token[i+1:])
	require.NoError(t, err)
	require.NoError(t, jwt.SigningMethodEdDSA.Verify(rfc8037Token[:i], sig, key.Key))
	assert.Equal(t, sig, ed25519.Sign(priv, []byte(rfc8037Token[:i])))

	// The same key end to end through the Authenticator.
	c := newClock(t0)
	a := mustNew(t, Config{Algorithms: []string{"EdDSA"}, Keys: []Key{key}, Now: c.Now})
	s := signer{alg: "EdDSA", method: jwt.SigningMethodEdDSA, priv: priv}
	p, err := a.Check(bearerRequest(s.sign(t, claimsAt(t0), nil)))
	require.NoError(t, err)
	assert.Equal(t, "user-42", p.Subject)

	// The RFC's token itself is refused: its payload is not a claim set.
	_, err = a.Check(bearerRequest(rfc8037Token))
	assert.ErrorIs(t, err, ErrTokenInvalid)
}
