package tokenendpoint_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAssertionClaimCase is the regression test for jwt-bearer assertions
// decoded case-insensitively: "AMOUNT" was read as "amount" (and, beside
// it, overrode it). An assertion whose claims differ from the names the
// token endpoint reads only by case, or repeat one, is invalid_grant.
func TestAssertionClaimCase(t *testing.T) {
	const hdr = `{"typ":"JWT","alg":"HS256"}`
	for _, tc := range []struct{ name, claims string }{
		{"AMOUNT alone", `"AMOUNT":1000000`},
		{"AMOUNT beside amount", `"amount":1,"AMOUNT":1000000`},
		{"Amount before amount", `"Amount":1000000,"amount":1`},
		{"amount twice", `"amount":1,"amount":1000000`},
		{"IAT", `"amount":1,"IAT":0`},
		{"NotificationKey", `"amount":1,"NotificationKey":"k2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t)
			now := f.clock.Now().Unix()
			claims := fmt.Sprintf(`{"iat":%d,"notificationKey":"k1",%s}`, now, tc.claims)
			w := f.assertionGrant("shop", rawJWS(hdr, claims, shopKey))
			require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			code, desc := oauthError(t, w)
			assert.Equal(t, "invalid_grant", code)
			assert.NotContains(t, desc, "not a JSON object")
		})
	}
	t.Run("exact names still work", func(t *testing.T) {
		f := newTokenFixture(t)
		now := f.clock.Now()
		w := f.assertionGrant("shop", rawJWS(hdr, fmt.Sprintf(`{"iat":%d,"notificationKey":"k1","amount":12.5,"extra":"x","Extra":"y"}`, now.Unix()), shopKey))
		tok := decodeToken(t, w)
		assert.Equal(t, "12.5", string(f.verify(t, tok.AccessToken).Amount))
	})
}

// rawJWS signs the JSON text payload, exactly as given (so that it may
// repeat a member), under header with HS256 and key.
func rawJWS(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}
