package tokenendpoint_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawAssertion signs a raw JSON claim set for "shop", so that number
// literals reach the issuer exactly as written (PHP's json_encode of an
// int is its decimal digits).
func rawAssertion(t testing.TB, claims string) string {
	return jws(t, jwtHeader, json.RawMessage(claims), shopKey)
}

func TestTokenIntegerUserIDAndNotificationKey(t *testing.T) {
	f := newTokenFixture(t)
	iat := strconv.FormatInt(f.clock.Now().Unix(), 10)
	for _, tc := range []struct {
		name, claims string
		nk, uid      string
	}{
		{"PHP integers", `{"amount":100,"iat":` + iat + `,"notificationKey":12345,"userId":42}`, "12345", "42"},
		{"zero", `{"amount":100,"iat":` + iat + `,"notificationKey":0,"userId":0}`, "0", "0"},
		{"negative", `{"amount":100,"iat":` + iat + `,"notificationKey":-7,"userId":-1}`, "-7", "-1"},
		{"minus zero is zero", `{"amount":100,"iat":` + iat + `,"notificationKey":"mz","userId":-0}`, "mz", "0"},
		// Beyond 2^53 a float64 would round 9007199254740993 to
		// ...992: the digits are kept as written.
		{"beyond 2^53", `{"amount":100,"iat":` + iat + `,"notificationKey":9007199254740993,"userId":9223372036854775807}`,
			"9007199254740993", "9223372036854775807"},
		{"beyond int64", `{"amount":100,"iat":` + iat + `,"notificationKey":123456789012345678901234567890}`,
			"123456789012345678901234567890", ""},
		{"string userId with integer key", `{"amount":100,"iat":` + iat + `,"notificationKey":777,"userId":"u-1"}`, "777", "u-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := decodeToken(t, f.assertionGrant("shop", rawAssertion(t, tc.claims)))
			assert.Equal(t, sessionClaims{Kind: tokenendpoint.SessionClient, ClientID: "shop", Amount: "100",
				NotificationKey: tc.nk, UserID: tc.uid}, f.verify(t, b.AccessToken))
		})
	}
}

func TestTokenIntegerNotificationKeyReplay(t *testing.T) {
	// 12345 and "12345" are the same notificationKey to the client, so
	// they are one key to the replay store, in either order.
	f := newTokenFixture(t)
	iat := strconv.FormatInt(f.clock.Now().Unix(), 10)
	for _, pair := range [][2]string{{`12345`, `"12345"`}, {`"678"`, `678`}, {`-0`, `"0"`}} {
		decodeToken(t, f.assertionGrant("shop", rawAssertion(t, `{"amount":100,"iat":`+iat+`,"notificationKey":`+pair[0]+`}`)))
		w := f.assertionGrant("shop", rawAssertion(t, `{"amount":5,"iat":`+iat+`,"notificationKey":`+pair[1]+`}`))
		require.Equal(t, http.StatusBadRequest, w.Code, "%s then %s", pair[0], pair[1])
		_, desc := oauthError(t, w)
		assert.Equal(t, "Assertion notificationKey was already used", desc)
		assert.Equal(t, "assertion_replayed", string(f.audit.Last().Reason))
	}
}

func TestTokenNonIntegerUserIDAndNotificationKey(t *testing.T) {
	f := newTokenFixture(t)
	iat := strconv.FormatInt(f.clock.Now().Unix(), 10)
	const (
		keyType = "Assertion notificationKey must be a string or an integer of at most 256 bytes"
		uidType = "Assertion userId must be a string or an integer of at most 256 bytes"
	)
	long := strings.Repeat("9", 257)
	for _, tc := range []struct {
		name, nk, uid, desc string
	}{
		{"key a float", `12345.0`, ``, keyType},
		{"key a fraction", `1.5`, ``, keyType},
		{"key an exponent", `1e5`, ``, keyType},
		{"key a capital exponent", `1E5`, ``, keyType},
		{"key true", `true`, ``, keyType},
		{"key false", `false`, ``, keyType},
		{"key an object", `{"id":1}`, ``, keyType},
		{"key an array", `[1]`, ``, keyType},
		{"key a 257-digit integer", long, ``, keyType},
		{"userId a float", `"k1"`, `42.0`, uidType},
		{"userId an exponent", `"k2"`, `4e1`, uidType},
		{"userId a boolean", `"k3"`, `true`, uidType},
		{"userId an object", `"k4"`, `{}`, uidType},
		{"userId an array", `"k5"`, `[42]`, uidType},
		{"userId a 257-digit integer", `"k6"`, long, uidType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := `{"amount":100,"iat":` + iat + `,"notificationKey":` + tc.nk
			if tc.uid != "" {
				c += `,"userId":` + tc.uid
			}
			w := f.assertionGrant("shop", rawAssertion(t, c+"}"))
			require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			code, desc := oauthError(t, w)
			assert.Equal(t, "invalid_grant", code)
			assert.Equal(t, tc.desc, desc)
		})
	}
	t.Run("256 digits is the cap, not a refusal", func(t *testing.T) {
		b := decodeToken(t, f.assertionGrant("shop", rawAssertion(t, `{"amount":100,"iat":`+iat+`,"notificationKey":`+long[:256]+`,"userId":`+long[:256]+`}`)))
		s := f.verify(t, b.AccessToken)
		assert.Equal(t, long[:256], s.NotificationKey)
		assert.Equal(t, long[:256], s.UserID)
	})
}
