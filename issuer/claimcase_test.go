package issuer_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// rawJWS signs the JSON text payload, exactly as given (so that it may
// repeat a member), under header with HS256 and key.
func rawJWS(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}

// TestLogoutSIDCaseAttack is the regression test for logout decoding
// claims case-insensitively: an access token of "partner", signed by the
// issuer, whose only session claim is an extra member "SID" naming the
// victim's session, made logout revoke the victim's family before it
// checked the owner. Claims are now decoded exactly: a member that differs
// from a claim the issuer reads only by case refuses the token (401), and
// nothing of the victim's is revoked.
func TestLogoutSIDCaseAttack(t *testing.T) {
	f := newFixture(t)
	victim := f.login(t, "127.0.0.2", "demo", demoPassword)
	sid := p2SessionID(t, victim)
	api := bearerAPI(t, f)

	now := f.clock.Now().Unix()
	const hdr = `{"alg":"HS256","typ":"at+jwt"}`
	base := fmt.Sprintf(`"iss":"https://rewards.example","sub":"partner","aud":"rewardstore-api","exp":%d,"nbf":%d,"iat":%d`, now+3600, now, now)
	for _, tc := range []struct{ name, claims string }{
		{"SID alone", `"jti":"j1","SID":%q`},
		{"sid and SID", `"jti":"j2","sid":"other","SID":%q`},
		{"Sid", `"jti":"j3","Sid":%q`},
		{"sid twice", `"jti":"j4","sid":"other","sid":%q`},
		{"SUB beside sub", `"jti":"j5","SUB":"demo","sid":%q`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := rawJWS(hdr, "{"+base+","+fmt.Sprintf(tc.claims, sid)+"}", testSecret)
			w := f.do("POST", "/auth/logout", "127.0.0.3", "", "Authorization", "Bearer "+tok)
			assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
			assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, http.StatusNoContent, api(victim.Data.AccessToken), "the victim's session is untouched")
		})
	}
	w := f.refreshWith("127.0.0.2", victim.Data.RefreshToken)
	assert.Equal(t, http.StatusOK, w.Code, "the victim's family was never revoked: %s", w.Body.String())
}

// TestRefreshJWTClaimCase: a refresh JWT signed with the issuer's key whose
// registered claims come in another case, or twice, is refused like any
// malformed refresh token, and the session it names lives on.
func TestRefreshJWTClaimCase(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.RefreshJWT = true })
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	c := segment(t, p.Data.RefreshToken, 1)
	now := f.clock.Now().Unix()
	const hdr = `{"alg":"HS256","typ":"rt+jwt"}`
	body := func(extra string) string {
		return fmt.Sprintf(`{"iss":"https://rewards.example","sub":"demo","aud":"https://rewards.example","exp":%d,"iat":%d,"auth_time":%d,"sid":%q,"token_use":"refresh","jti":%q%s}`,
			now+3600, now, now, c["sid"], c["jti"], extra)
	}
	// The control: the same claims, exact, are a well-formed refresh JWT
	// (unknown to the store, since its bytes differ from the issued one).
	ok := rawJWS(hdr, body(""), testSecret)
	assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", ok).Code)
	for name, extra := range map[string]string{
		"SID":       `,"SID":"another-family"`,
		"Sub":       `,"Sub":"partner"`,
		"TOKEN_USE": `,"TOKEN_USE":"refresh"`,
		"sid twice": `,"sid":"another-family"`,
	} {
		t.Run(name, func(t *testing.T) {
			w := f.refreshWith("127.0.0.2", rawJWS(hdr, body(extra), testSecret))
			assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
		})
	}
	w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	assert.Equal(t, http.StatusOK, w.Code, "no reuse was detected: %s", w.Body.String())
}

// TestLogoutNeverRevokesAnotherSubjectsSession is the regression test for
// logout revoking the family its token's "sid" names before checking the
// family's owner: a genuine access token of "partner" whose sid names the
// victim's family (IssueAccess lets an application set any SessionID)
// logged out the victim. Logout now revokes only under the token's own
// subject — its jti, and its session for that subject — so the victim's
// tokens and refresh token keep working.
func TestLogoutNeverRevokesAnotherSubjectsSession(t *testing.T) {
	eachFormat(t, func(t *testing.T, format func(*issuer.Config)) {
		f := newFixture(t, format)
		victim := f.login(t, "127.0.0.2", "demo", demoPassword)
		api := bearerAPI(t, f)
		at, err := f.iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "partner"}, SessionID: p2SessionID(t, victim)})
		require.NoError(t, err)

		w := f.do("POST", "/auth/logout", "127.0.0.3", "", "Authorization", "Bearer "+at.Token)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, http.StatusUnauthorized, api(at.Token), "the presented token is logged out")
		assert.Equal(t, http.StatusNoContent, api(victim.Data.AccessToken), "the victim's access token")
		w = f.refreshWith("127.0.0.2", victim.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, "the victim's family: %s", w.Body.String())
		assert.Equal(t, http.StatusNoContent, api(decodePair(t, w).Data.AccessToken))
	})
}
