package blackbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Item 3: no issuance path lets a scope claim other than "scope", or a
// binding, session or type claim, into a token, in any spelling.
func TestReservedExtraClaims(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	for _, name := range []string{"scp", "SCP", "Scp", "scopes", "Scopes", "SCOPES", "scope", "Scope", "cnf", "CNF", "sid", "SID", "Sid",
		"token_use", "Token_Use", "TOKEN_USE", "typ", "TYP", "sub", "Sub", "exp", "EXP", "iat", "jti", "JTI", "aud", "iss", "nbf", "client_id", "Client_ID", "tenant", "TENANT",
		"session_kind", "Session_Kind", "SESSION_KIND", "auth_time"} {
		_, err := s.iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "alice"}, Extra: map[string]any{name: []string{"admin"}}})
		assert.Error(t, err, "Extra %q", name)
	}
	at, err := s.iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "alice", Scopes: []string{"read"}}, Extra: map[string]any{"roles": []string{"x"}, "scpx": "admin"}})
	require.NoError(t, err)
	m := payload(t, at.Token)
	assert.Equal(t, "read", m["scope"])
	assert.Equal(t, "admin", m["scpx"])
}

// Item 3: tokens of every issuance path carry one scope claim, "scope".
func TestIssuedTokensCarryOnlyScope(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	check := func(path, tok string) {
		m := payload(t, tok)
		for k := range m {
			switch strings.ToLower(k) {
			case "scp", "scopes":
				t.Errorf("%s: token carries %q", path, k)
			}
		}
	}
	res := do(t, nil, "POST", s.srv.URL+"/login", jsonH, `{"username":"alice","password":"alice-password"}`)
	require.Equal(t, 200, res.status, res.body)
	check("login", dataField(t, res.body, "access_token"))
	res = do(t, nil, "POST", s.srv.URL+"/refresh", jsonH, `{"refresh_token":"`+dataField(t, res.body, "refresh_token")+`"}`)
	require.Equal(t, 200, res.status, res.body)
	check("refresh", dataField(t, res.body, "access_token"))
	for _, body := range []string{
		`{"grant_type":"client_credentials","client_id":"c1","client_secret":"` + s.secret + `"}`,
		`{"grant_type":"client_credentials","client_id":"c1","client_secret":"` + s.secret + `","scope":"read"}`,
		`{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":"c1","assertion":"` +
			signHS256(t, `{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"iat":%d,"amount":5,"notificationKey":"n-scp"}`, s.clk.Now().Unix())) + `"}`,
	} {
		res := do(t, nil, "POST", s.srv.URL+"/token", jsonH, body)
		require.Equal(t, 200, res.status, res.body)
		var v struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.body), &v))
		check("token", v.AccessToken)
	}
	// Asking the token endpoint for more than the client has.
	res = do(t, nil, "POST", s.srv.URL+"/token", jsonH, `{"grant_type":"client_credentials","client_id":"c1","client_secret":"`+s.secret+`","scope":"read admin"}`)
	assert.Equal(t, 400, res.status, res.body)
	assert.Contains(t, res.body, "invalid_scope")
}

// verifier is a bearer middleware that accepts HS256 tokens of issuer
// "bb" for audience "bb-api", echoing the Principal.
func verifier(t *testing.T) *httptest.Server {
	t.Helper()
	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": p.Subject, "tenant": p.Tenant, "scopes": p.Scopes, "sid": p.SessionID, "jti": p.TokenID, "client": p.ClientID})
	})))
	t.Cleanup(srv.Close)
	return srv
}

func forged(t *testing.T, extra string) string {
	t.Helper()
	now := time.Now().Unix()
	base := fmt.Sprintf(`"iss":"bb","aud":"bb-api","sub":"alice","iat":%d,"exp":%d`, now, now+3600)
	if extra != "" {
		base += "," + extra
	}
	return signHS256(t, `{"alg":"HS256","typ":"JWT"}`, "{"+base+"}")
}

// Items 3 and 4: the verifier reads one scope claim by precedence (scope,
// then scp, then scopes; never a union) and reads claims by their exact
// names.
func TestVerifierClaimNames(t *testing.T) {
	srv := verifier(t)
	get := func(tok string) (int, map[string]any) {
		res := do(t, nil, "GET", srv.URL, bearerH(tok), "")
		var v map[string]any
		if res.status == 200 {
			require.NoError(t, json.Unmarshal([]byte(res.body), &v))
		}
		return res.status, v
	}
	scopesOf := func(extra string) any {
		st, v := get(forged(t, extra))
		require.Equal(t, 200, st, extra)
		return v["scopes"]
	}
	list := func(s ...any) any { return s }
	assert.Equal(t, list("a"), scopesOf(`"scope":"a","scp":["admin"],"scopes":["admin2"]`))
	assert.Equal(t, list("b", "c"), scopesOf(`"scp":"b c","scopes":["admin"]`))
	assert.Equal(t, list("b", "c"), scopesOf(`"scp":["b","c"],"scopes":"admin"`))
	assert.Equal(t, list("d"), scopesOf(`"scopes":["d"]`))
	assert.Nil(t, scopesOf(`"scope":"","scp":["admin"]`), "an empty scope claim is present: scp is not read")
	assert.Equal(t, list("a"), scopesOf(`"scope":"a","SCOPE":"admin","Scp":["admin"],"SCOPES":["admin"]`))
	assert.Nil(t, scopesOf(`"SCOPE":"admin","Scp":["admin"],"Scopes":["admin"]`))
	// A present scope claim of another type, or null, still wins: the
	// next claim is never read in its place.
	assert.Equal(t, list("x"), scopesOf(`"scope":["x"],"scp":"admin"`))
	for _, extra := range []string{`"scope":null,"scp":"admin"`, `"scope":5,"scp":"admin"`, `"scp":null,"scopes":"admin"`, `"scope":{"a":1},"scopes":["admin"]`} {
		assert.Nil(t, scopesOf(extra), extra)
	}

	st, v := get(forged(t, `"SUB":"bob","Tenant":"t2","TENANT":"t3","SID":"s","JTI":"j","Client_Id":"c"`))
	require.Equal(t, 200, st)
	assert.Equal(t, "alice", v["sub"])
	assert.Equal(t, "", v["tenant"])
	assert.Equal(t, "", v["sid"])
	assert.Equal(t, "", v["jti"])
	assert.Equal(t, "", v["client"])

	now := time.Now().Unix()
	for name, raw := range map[string]string{
		"EXP only":        fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","EXP":%d}`, now+3600),
		"exp past, EXP":   fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","exp":%d,"EXP":%d}`, now-3600, now+3600),
		"ISS only":        fmt.Sprintf(`{"ISS":"bb","aud":"bb-api","sub":"a","exp":%d}`, now+3600),
		"iss wrong, ISS":  fmt.Sprintf(`{"iss":"x","ISS":"bb","aud":"bb-api","sub":"a","exp":%d}`, now+3600),
		"AUD only":        fmt.Sprintf(`{"iss":"bb","AUD":"bb-api","sub":"a","exp":%d}`, now+3600),
		"nbf future, NBF": fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","exp":%d,"nbf":%d,"NBF":0}`, now+3600, now+1800),
		"Exp as string":   fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","exp":"%d"}`, now+3600),
		// RFC 7519 §4: a repeated member is refused or the lexically last
		// one counts — never the first.
		"repeated exp, last past":  fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","exp":%d,"exp":%d}`, now+3600, now-3600),
		"repeated iss, last other": fmt.Sprintf(`{"iss":"bb","iss":"x","aud":"bb-api","sub":"a","exp":%d}`, now+3600),
	} {
		st, _ := get(signHS256(t, `{"alg":"HS256","typ":"JWT"}`, raw))
		assert.Equal(t, 401, st, name)
	}
	// Header parameters by their exact names too.
	p := fmt.Sprintf(`{"iss":"bb","aud":"bb-api","sub":"a","exp":%d}`, now+3600)
	for _, h := range []string{`{"ALG":"HS256"}`, `{"alg":"none","ALG":"HS256"}`, `{"alg":"HS256","crit":["exp"]}`, `{"alg":"HS256","b64":false,"crit":["b64"]}`} {
		st, _ := get(signHS256(t, h, p))
		assert.Equal(t, 401, st, "header %s", h)
	}
}

// resign returns tok with extra JSON members appended to its payload,
// signed again with the shared secret (its header kept).
func resign(t *testing.T, tok, extra string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	body := strings.TrimSuffix(string(p), "}") + "," + extra + "}"
	return signHS256(t, string(h), body)
}

// Item 4: logout and refresh read claims by their exact names: a token
// whose "SID" names another user's session revokes nothing of it, and the
// owner is checked before anything is revoked.
func TestLogoutAndRefreshExactClaims(t *testing.T) {
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			a := newLoginAPI(t, format)
			hash, err := issuer.HashPassword("bob-password", 4)
			require.NoError(t, err)
			require.NoError(t, a.creds.Put(context.Background(), issuer.Account{Username: "bob", PasswordHash: hash, Subject: "u-bob", Scopes: []string{"read"}}))
			res := do(t, nil, "POST", a.srv.URL+"/login", jsonH, `{"username":"bob","password":"bob-password"}`)
			require.Equal(t, 200, res.status)
			bobAccess, bobRT := dataField(t, res.body, "access_token"), dataField(t, res.body, "refresh_token")
			bobSID, _ := payload(t, bobAccess)["sid"].(string)
			require.NotEmpty(t, bobSID)
			aliceAccess, aliceRT := a.login(t)
			aliceSID := payload(t, aliceAccess)["sid"].(string)

			for _, extra := range []string{`"SID":"` + bobSID + `"`, `"Sid":"` + bobSID + `"`, `"Sub":"u-bob"`, `"SUB":"u-bob","SID":"` + bobSID + `"`, `"sid":"` + bobSID + `"`} {
				forgedTok := resign(t, aliceAccess, extra)
				res := do(t, nil, "POST", a.srv.URL+"/logout", bearerH(forgedTok), "")
				assert.NotEqual(t, 500, res.status, extra)
				assert.Equal(t, 200, a.api(t, bobAccess), "bob's session survives alice's logout with %s", extra)
			}
			// Alice's own session may have been revoked by the last probe
			// (a repeated "sid"); bob's refresh family is intact.
			res = a.refresh(t, bobRT)
			require.Equal(t, 200, res.status, res.body)
			bobRT = dataField(t, res.body, "refresh_token")

			if format {
				for _, extra := range []string{`"SID":"` + aliceSID + `"`, `"Token_Use":"access"`, `"SUB":"u-alice"`, `"sid":"` + aliceSID + `"`} {
					res := a.refresh(t, resign(t, bobRT, extra))
					assert.Equal(t, 401, res.status, "a refresh JWT with %s: %s", extra, res.body)
					assert.NotContains(t, res.body, "access_token")
				}
			}
			_ = aliceRT
		})
	}
}

// Item 4: the token endpoint reads assertion claims by their exact names.
func TestAssertionExactClaims(t *testing.T) {
	s := newSurface(t, envelope.OAuth)
	now := s.clk.Now().Unix()
	post := func(claims string) result {
		a := signHS256(t, `{"alg":"HS256","typ":"JWT"}`, claims)
		return do(t, nil, "POST", s.srv.URL+"/token", jsonH, `{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":"c1","assertion":"`+a+`"}`)
	}
	for _, c := range []string{
		fmt.Sprintf(`{"iat":%d,"AMOUNT":5000,"notificationKey":"k1"}`, now),
		fmt.Sprintf(`{"iat":%d,"Amount":5000,"notificationKey":"k2"}`, now),
		fmt.Sprintf(`{"IAT":%d,"amount":5,"notificationKey":"k3"}`, now),
		fmt.Sprintf(`{"iat":%d,"amount":5,"NotificationKey":"k4"}`, now),
		fmt.Sprintf(`{"iat":%d,"amount":5,"amount":5000,"notificationKey":"k5"}`, now),
	} {
		res := post(c)
		assert.Equal(t, 400, res.status, "%s: %s", c, res.body)
		assert.Contains(t, res.body, "invalid_grant", c)
	}
	// A case variant beside the real claim: the real one counts, or the
	// assertion is refused; 5000 never becomes the amount.
	res := post(fmt.Sprintf(`{"iat":%d,"amount":5,"AMOUNT":5000,"notificationKey":"k6"}`, now))
	if res.status == 200 {
		var v struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.body), &v))
		assert.EqualValues(t, 5, payload(t, v.AccessToken)["amount"])
	} else {
		assert.Equal(t, 400, res.status)
	}
}
