package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/examples/vouchers/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAPIKeyNeverInTokensOrLogs: seed 002's client sends its API key as
// client_id, and both session kinds work that way, but no session JWT
// carries it (sub, client_id and tenant name the internal client id), no
// voucher shows it, and the audit log at Debug (every decision, allowed
// ones included, refusals too) never contains it.
func TestAPIKeyNeverInTokensOrLogs(t *testing.T) {
	const key = "jk_Q7mZ2xW9pL4vB8nR" // distinctive, so that any leak is found
	var logs lockedBuffer
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	srv, err := server.New(server.Config{
		ClientID: key, APISignature: []byte(apiSignature), ClientSecret: clientSecret, Now: clock.Now,
		Audit: gatehouse.SlogAuditor(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	a := &api{url: ts.URL, clock: clock}
	now := clock.Now().Unix()

	require.Equal(t, 200, a.do(t, "GET", "/v2/stores", "", "", "apikey", key).status)
	client := accessToken(t, a.seedAssertion(t, key, phpJWT(apiSignature, phpClaims(now, "nk-1"))))
	m2m := accessToken(t, a.seedClientCredentials(t, key, clientSecret))
	m2mForm := accessToken(t, a.do(t, "POST", "/v2/token", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {key}, "client_secret": {clientSecret}}.Encode()))
	m2mBasic := accessToken(t, a.do(t, "POST", "/v2/token", "application/x-www-form-urlencoded", "grant_type=client_credentials",
		"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":"+clientSecret))))

	for name, tok := range map[string]string{"client": client, "m2m": m2m, "m2m form": m2mForm, "m2m basic": m2mBasic} {
		t.Run(name, func(t *testing.T) {
			parts := strings.Split(tok, ".")
			require.Len(t, parts, 3)
			for _, p := range parts[:2] {
				raw, err := base64.RawURLEncoding.DecodeString(p)
				require.NoError(t, err)
				assert.NotContains(t, string(raw), key)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var claims map[string]any
			require.NoError(t, json.Unmarshal(raw, &claims))
			for _, c := range []string{"sub", "client_id", "tenant"} {
				assert.Equal(t, server.DefaultInternalClientID, claims[c], "%s names the internal client id", c)
			}
		})
	}

	// Vouchers name the client too.
	r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount": 25, "storeId": "store-paris"}`, "Authorization", "Bearer "+client)
	require.Equal(t, 201, r.status, r.body)
	assert.NotContains(t, r.body, key)
	assert.Contains(t, r.body, `"clientId":"`+server.DefaultInternalClientID+`"`)

	// Refusals: a wrong secret, a wrong signature, a replay, the key on a
	// session route, a wrong key.
	a.seedClientCredentials(t, key, "wrong-secret")
	a.seedAssertion(t, key, phpJWT("another-signature-another-signature", phpClaims(now, "nk-2")))
	a.seedAssertion(t, key, phpJWT(apiSignature, phpClaims(now, "nk-1")))
	a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount":1}`, "apikey", key)
	a.do(t, "GET", "/v2/stores", "", "", "apikey", key+"x")

	out := logs.String()
	require.Contains(t, out, `"level":"WARN"`, "refusals were logged")
	require.Contains(t, out, `"level":"DEBUG"`, "allowed decisions were logged")
	assert.NotContains(t, out, key)
	assert.Contains(t, out, server.DefaultInternalClientID)
}

// TestInternalClientID: Config.InternalClientID names the client in
// tokens; it must not be the API key.
func TestInternalClientID(t *testing.T) {
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	srv, err := server.New(server.Config{ClientID: apiKey, InternalClientID: "jackpot-shop-42", APISignature: []byte(apiSignature), ClientSecret: clientSecret, Now: clock.Now})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	a := &api{url: ts.URL, clock: clock}
	tok := accessToken(t, a.seedClientCredentials(t, apiKey, clientSecret))
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"sub":"jackpot-shop-42"`)

	_, err = server.New(server.Config{ClientID: apiKey, InternalClientID: apiKey, APISignature: []byte(apiSignature), ClientSecret: clientSecret})
	assert.Error(t, err, "the internal id may not be the key")
}

// TestAssertionNamesTheClientByItsKey: an RFC 7523 assertion whose iss and
// sub name the client as it knows itself — by the client_id it sends, the
// API key — is accepted; one naming anything else is not.
func TestAssertionNamesTheClientByItsKey(t *testing.T) {
	a := newAPI(t)
	now := jsonInt(a.clock.Now().Unix())
	tok := accessToken(t, a.seedAssertion(t, apiKey, phpJWT(apiSignature,
		`{"amount":100,"iat":`+now+`,"notificationKey":"rfc-1","iss":"`+apiKey+`","sub":"`+apiKey+`"}`)))
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	require.NoError(t, err)
	assert.NotContains(t, string(raw), `"`+apiKey+`"`)
	for _, iss := range []string{server.DefaultInternalClientID, "EFGH"} {
		r := a.seedAssertion(t, apiKey, phpJWT(apiSignature, `{"amount":100,"iat":`+now+`,"notificationKey":"rfc-`+iss+`","iss":"`+iss+`"}`))
		code, _ := oauthError(t, r)
		assert.Equal(t, "invalid_grant", code, iss)
	}
}
