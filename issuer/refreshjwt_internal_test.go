package issuer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckRefreshClaims checks each claim rule of a refresh JWT in
// isolation: Refresh's store lookup would refuse these tokens anyway, so
// only this test shows that the verification itself does.
func TestCheckRefreshClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).UTC()
	creds, err := NewMemoryCredentials()
	require.NoError(t, err)
	for _, typ := range []string{"at+jwt", "JWT"} {
		i, err := New(Config{
			Issuer: "https://rewards.example", Audiences: []string{"rewardstore-api"},
			Key: SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")}, TokenType: typ,
			RefreshJWT: true, Credentials: creds, Revocations: nopRevoker{}, BcryptCost: 4,
			Now: func() time.Time { return now },
		})
		require.NoError(t, err)
		good, _, err := i.newRefresh(now, now.Add(time.Hour), now, "fam", "demo", "")
		require.NoError(t, err)
		c, ok := i.checkRefresh(good, now)
		require.True(t, ok, typ)
		assert.Equal(t, "fam", c.SessionID)
		_, ok = i.checkRefresh(good, now.Add(time.Hour))
		assert.False(t, ok, "%s: expired at exp", typ)

		valid := func() map[string]any {
			var m map[string]any
			p := refreshPayload{Issuer: i.issuer, Subject: "demo", Audience: i.issuer, ExpiresAt: now.Add(time.Hour).Unix(),
				IssuedAt: now.Unix(), AuthTime: now.Unix(), SessionID: "fam", TokenUse: tokenUseRefresh, ID: newRefreshJTI()}
			b, _ := json.Marshal(p)
			_ = json.Unmarshal(b, &m)
			return m
		}
		sign := func(signPayload func([]byte) (string, error), m map[string]any) string {
			b, err := json.Marshal(m)
			require.NoError(t, err)
			tok, err := signPayload(b)
			require.NoError(t, err)
			return tok
		}
		_, ok = i.checkRefresh(sign(i.signer.SignRefresh, valid()), now)
		require.True(t, ok, "the test's valid claims")
		for name, mod := range map[string]func(map[string]any){
			"iss":           func(m map[string]any) { m["iss"] = "https://other.example" },
			"aud":           func(m map[string]any) { m["aud"] = "rewardstore-api" },
			"aud array":     func(m map[string]any) { m["aud"] = []string{i.issuer} },
			"token_use":     func(m map[string]any) { m["token_use"] = "access" },
			"no token_use":  func(m map[string]any) { delete(m, "token_use") },
			"short jti":     func(m map[string]any) { m["jti"] = "abc" },
			"no sub":        func(m map[string]any) { delete(m, "sub") },
			"no sid":        func(m map[string]any) { delete(m, "sid") },
			"no exp":        func(m map[string]any) { delete(m, "exp") },
			"expired":       func(m map[string]any) { m["exp"] = now.Unix() },
			"string exp":    func(m map[string]any) { m["exp"] = "9999999999" },
			"not an object": nil,
		} {
			m := valid()
			var tok string
			if mod == nil {
				tok = sign(i.signer.SignRefresh, nil)
			} else {
				mod(m)
				tok = sign(i.signer.SignRefresh, m)
			}
			_, ok := i.checkRefresh(tok, now)
			assert.False(t, ok, "%s: %s", typ, name)
		}
		if typ == "at+jwt" {
			// The access-token header (typ at+jwt) on refresh claims.
			_, ok = i.checkRefresh(sign(i.signer.SignPayload, valid()), now)
			assert.False(t, ok, "typ at+jwt")
		}
	}
}
