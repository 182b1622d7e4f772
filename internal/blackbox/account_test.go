package blackbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// loginAPI is an issuer's login, refresh and logout handlers and a bearer-
// protected route, served on loopback.
type loginAPI struct {
	srv   *httptest.Server
	iss   *issuer.Issuer
	creds *issuer.MemoryCredentials
	clk   *clock
	alice issuer.Account
}

func newLoginAPI(t *testing.T, refreshJWT bool) *loginAPI {
	t.Helper()
	hash, err := issuer.HashPassword("alice-password", bcrypt.MinCost)
	require.NoError(t, err)
	a := &loginAPI{clk: newClock()}
	a.alice = issuer.Account{Username: "alice", PasswordHash: hash, Subject: "u-alice", Scopes: []string{"read"}}
	a.creds, err = issuer.NewMemoryCredentials(a.alice)
	require.NoError(t, err)
	rev := bearer.NewMemoryRevocations(a.clk.Now)
	a.iss, err = issuer.New(issuer.Config{
		Issuer: "bb", Audiences: []string{"bb-api"}, Key: issuer.SigningKey{Key: secret},
		RefreshJWT: refreshJWT, Credentials: a.creds, Revocations: rev,
		BcryptCost: bcrypt.MinCost, Realm: "bb", Now: a.clk.Now,
	})
	require.NoError(t, err)
	bc := a.iss.BearerConfig(rev)
	bc.Now = a.clk.Now
	auth, err := bearer.New(bc)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", a.iss.Login)
	mux.HandleFunc("POST /refresh", a.iss.Refresh)
	mux.HandleFunc("POST /logout", a.iss.Logout)
	mux.Handle("GET /api", auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_ = json.NewEncoder(w).Encode(p.Scopes)
	})))
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// login returns the access and refresh tokens of a fresh login of alice.
func (a *loginAPI) login(t *testing.T) (access, refresh string) {
	t.Helper()
	res := do(t, nil, "POST", a.srv.URL+"/login", jsonH, `{"username":"alice","password":"alice-password"}`)
	require.Equal(t, 200, res.status, res.body)
	return dataField(t, res.body, "access_token"), dataField(t, res.body, "refresh_token")
}

func (a *loginAPI) refresh(t *testing.T, rt string) result {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": rt})
	return do(t, nil, "POST", a.srv.URL+"/refresh", jsonH, string(body))
}

func (a *loginAPI) api(t *testing.T, access string) int {
	t.Helper()
	return do(t, nil, "GET", a.srv.URL+"/api", bearerH(access), "").status
}

var formats = map[string]bool{"opaque": false, "jwt": true}

// Item 1: a deleted or disabled account cannot refresh, with either
// refresh-token format, and bringing the account back does not revive the
// families refused meanwhile.
func TestRemovedAccountCannotRefresh(t *testing.T) {
	ctx := context.Background()
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			for _, remove := range []struct {
				name          string
				remove, reset func(a *loginAPI) error
			}{
				{"deleted", func(a *loginAPI) error { return a.creds.Delete(ctx, "alice") }, func(a *loginAPI) error { return a.creds.Put(ctx, a.alice) }},
				{"disabled", func(a *loginAPI) error {
					d := a.alice
					d.Disabled = true
					return a.creds.Put(ctx, d)
				}, func(a *loginAPI) error { return a.creds.Put(ctx, a.alice) }},
			} {
				t.Run(remove.name, func(t *testing.T) {
					a := newLoginAPI(t, format)
					_, rt := a.login(t)
					_, rt2 := a.login(t) // a second family of the same account
					require.NoError(t, remove.remove(a))

					res := a.refresh(t, rt)
					assert.Equal(t, 401, res.status, res.body)
					assert.NotEmpty(t, res.header.Get("WWW-Authenticate"), "a 401 carries a challenge")
					assert.NotContains(t, res.body, "access_token")
					res = do(t, nil, "POST", a.srv.URL+"/login", jsonH, `{"username":"alice","password":"alice-password"}`)
					assert.Equal(t, 401, res.status, "login refused too")

					require.NoError(t, remove.reset(a))
					assert.Equal(t, 401, a.refresh(t, rt).status, "the family refused while the account was gone stays revoked")
					// The second family was not presented meanwhile: it may work again
					// (the account is back), but it must not give anything beyond
					// the account's own scopes.
					if res := a.refresh(t, rt2); res.status == 200 {
						assert.Equal(t, 200, a.api(t, dataField(t, res.body, "access_token")))
					}
				})
			}
		})
	}
}

// Item 1: RevokeSubject ends every session and access token of a subject
// issued up to the call, in the same second included, and a login from
// the next second on works.
func TestRevokeSubjectBySecond(t *testing.T) {
	ctx := context.Background()
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			a := newLoginAPI(t, format)
			a.clk.Set(a.clk.Now().Add(400 * time.Millisecond)) // mid-second
			oldAccess, oldRT := a.login(t)
			require.Equal(t, 200, a.api(t, oldAccess))

			require.NoError(t, a.iss.RevokeSubject(ctx, "u-alice"))
			assert.Equal(t, 401, a.api(t, oldAccess), "an access token of the revoked second")
			res := a.refresh(t, oldRT)
			assert.Equal(t, 401, res.status, res.body)
			assert.NotEmpty(t, res.header.Get("WWW-Authenticate"))

			// Same second, after the call: refused (the documented safe side).
			a.clk.Add(300 * time.Millisecond)
			sameAccess, sameRT := a.login(t)
			assert.Equal(t, 401, a.api(t, sameAccess), "a token issued in the revocation's second")
			assert.Equal(t, 401, a.refresh(t, sameRT).status)

			// Next second: works, and the old tokens stay dead.
			a.clk.Add(time.Second)
			newAccess, newRT := a.login(t)
			assert.Equal(t, 200, a.api(t, newAccess), "a token of the next second")
			res = a.refresh(t, newRT)
			require.Equal(t, 200, res.status, res.body)
			assert.Equal(t, 200, a.api(t, dataField(t, res.body, "access_token")))
			assert.Equal(t, 401, a.api(t, oldAccess))
			assert.Equal(t, 401, a.refresh(t, oldRT).status)

			assert.Error(t, a.iss.RevokeSubject(ctx, ""), "an empty subject is an error")
		})
	}
}

// Item 1: a refresh of another subject is not touched by RevokeSubject,
// and RevokeSubject of a subject that is a prefix of another one does not
// reach it.
func TestRevokeSubjectIsExact(t *testing.T) {
	ctx := context.Background()
	a := newLoginAPI(t, false)
	hash, err := issuer.HashPassword("bob-password", bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, a.creds.Put(ctx, issuer.Account{Username: "bob", PasswordHash: hash, Subject: "u-alice2", Scopes: []string{"read"}}))
	res := do(t, nil, "POST", a.srv.URL+"/login", jsonH, `{"username":"bob","password":"bob-password"}`)
	require.Equal(t, 200, res.status)
	bobAccess, bobRT := dataField(t, res.body, "access_token"), dataField(t, res.body, "refresh_token")
	require.NoError(t, a.iss.RevokeSubject(ctx, "u-alice"))
	require.NoError(t, a.iss.RevokeSubject(ctx, "U-ALICE2"))
	assert.Equal(t, 200, a.api(t, bobAccess))
	assert.Equal(t, 200, a.refresh(t, bobRT).status)
}

// Item 1: RevokeSubject reaches token-endpoint sessions too (their subject
// is the client's), and the client's next session a second later works.
func TestRevokeSubjectEndsClientSessions(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	session := func() string {
		res := do(t, nil, "POST", s.srv.URL+"/token", jsonH, `{"grant_type":"client_credentials","client_id":"c1","client_secret":"`+s.secret+`"}`)
		require.Equal(t, 200, res.status, res.body)
		var v struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.body), &v))
		return v.AccessToken
	}
	old := session()
	require.Equal(t, 200, do(t, nil, "GET", s.srv.URL+"/bearer/m2m", bearerH(old), "").status)
	require.NoError(t, s.iss.RevokeSubject(context.Background(), "c1"))
	res := do(t, nil, "GET", s.srv.URL+"/bearer/m2m", bearerH(old), "")
	assert.Equal(t, 401, res.status, res.body)
	assert.NotEmpty(t, res.header.Get("WWW-Authenticate"))
	s.clk.Add(time.Second)
	assert.Equal(t, 200, do(t, nil, "GET", s.srv.URL+"/bearer/m2m", bearerH(session()), "").status)
	assert.Equal(t, 401, do(t, nil, "GET", s.srv.URL+"/bearer/m2m", bearerH(old), "").status)
}
