package blackbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/assertionhook"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// Item 13: a full replay store refuses new assertions with 503 and never
// forgets a live notificationKey to make room: every key accepted before
// stays refused as a replay.
func TestFullReplayStoreRefusesAndRemembers(t *testing.T) {
	clk := newClock()
	replay, err := tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{MaxKeys: 8, MaxKeysPerClient: 4, Now: clk.Now})
	require.NoError(t, err)
	clients, err := tokenendpoint.NewMemoryClients(
		tokenendpoint.Client{ID: "c1", AssertionKey: secret},
		tokenendpoint.Client{ID: "c2", AssertionKey: secret},
	)
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "bb", Key: tokenendpoint.SigningKey{Key: secret}, Clients: clients, Replay: replay,
		ReplayClaim: "notificationKey", Assertion: assertionhook.Vouchers(tokenendpoint.InvalidGrant), Now: clk.Now,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(ep)
	defer srv.Close()
	post := func(client, key string) result {
		a := signHS256(t, `{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"iat":%d,"amount":5,"notificationKey":%q}`, clk.Now().Unix(), key))
		return do(t, nil, "POST", srv.URL, jsonH, fmt.Sprintf(`{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":%q,"assertion":%q}`, client, a))
	}
	for i := range 4 {
		res := post("c1", fmt.Sprint("k", i))
		require.Equal(t, 200, res.status, res.body)
	}
	for i := 4; i < 10; i++ {
		res := post("c1", fmt.Sprint("k", i))
		assert.Equal(t, 503, res.status, "c1 beyond its share: %s", res.body)
	}
	for i := range 4 {
		res := post("c1", fmt.Sprint("k", i))
		assert.Equal(t, 400, res.status, "k%d still remembered: %s", i, res.body)
		assert.Contains(t, res.body, "invalid_grant")
	}
	// Another client still has its share.
	res := post("c2", "k0")
	assert.Equal(t, 200, res.status, res.body)
}

// Item 13: a subject whose share of the refresh store is full gets 503
// for a new login, and the store forgets none of its rotated tokens to make
// room: presenting one is still detected as reuse.
func TestFullRefreshStoreRefusesAndRemembers(t *testing.T) {
	store, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: 40, MaxTokensPerSubject: 4})
	require.NoError(t, err)
	hash, err := issuer.HashPassword("pw-alice-pw", bcrypt.MinCost)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(
		issuer.Account{Username: "alice", PasswordHash: hash},
		issuer.Account{Username: "bob", PasswordHash: hash},
	)
	require.NoError(t, err)
	iss, err := issuer.New(issuer.Config{
		Issuer: "bb", Key: issuer.SigningKey{Key: secret}, Credentials: creds, Refresh: store,
		Revocations: bearer.NewMemoryRevocations(nil), BcryptCost: bcrypt.MinCost,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/login", iss.Login)
	mux.HandleFunc("/refresh", iss.Refresh)
	srv := httptest.NewServer(envelope.Use(envelope.Nested)(mux))
	defer srv.Close()
	login := func(user string) result {
		return do(t, nil, "POST", srv.URL+"/login", jsonH, `{"username":"`+user+`","password":"pw-alice-pw"}`)
	}
	refresh := func(rt string) result {
		return do(t, nil, "POST", srv.URL+"/refresh", jsonH, `{"refresh_token":"`+rt+`"}`)
	}
	res := login("alice")
	require.Equal(t, 200, res.status)
	a0 := dataField(t, res.body, "refresh_token")
	res = refresh(a0)
	require.Equal(t, 200, res.status, res.body)
	a1 := dataField(t, res.body, "refresh_token")
	res = refresh(a1)
	require.Equal(t, 200, res.status, res.body)
	a2 := dataField(t, res.body, "refresh_token")
	require.Equal(t, 200, login("alice").status) // the fourth token
	res = login("alice")
	assert.Equal(t, 503, res.status, "alice's share is full: %s", res.body)
	assert.NotContains(t, res.body, "access_token")
	res = refresh(a2)
	assert.Contains(t, []int{200, 503}, res.status, "the current token of a full share: %s", res.body)
	assert.Equal(t, 200, login("bob").status, "another subject has its share")
	// a0 was rotated before the share filled: it is still known as reuse.
	res = refresh(a0)
	assert.Equal(t, 401, res.status, res.body)
	assert.Equal(t, 401, refresh(a2).status, "the reuse revoked the family")
}
