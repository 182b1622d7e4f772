package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The black-box probes of issue 14 against the vouchers command as it
// runs, over loopback, with the client's three credentials set in the
// environment.

const (
	bbKey       = "vouchers-blackbox-api-key-7f3a9c"
	bbSignature = "blackbox-api-signature-0123456789abcdef"
	bbSecret    = "blackbox-client-secret-0123456789abcdef"
	jwtBearer   = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// bbAssertion signs claims as given with the client's API signature.
func bbAssertion(claims string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, []byte(bbSignature))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

func bbStart(t *testing.T) *cmdtest.Command {
	t.Helper()
	vars := map[string]string{"API_KEY": bbKey, "API_SIGNATURE": bbSignature, "CLIENT_SECRET": bbSecret}
	return cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return vars[k] }, stdout, stderr)
	})
}

func bbTokenBody(grant, clientID, cred string) string {
	if grant == "client_credentials" {
		return fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, clientID, cred)
	}
	return fmt.Sprintf(`{"grant_type":%q,"client_id":%q,"assertion":%q}`, jwtBearer, clientID, cred)
}

func bbSession(t *testing.T, base, body string) string {
	t.Helper()
	res := cmdtest.Do(t, nil, "POST", base+"/v2/token", nil, body)
	require.Equal(t, 200, res.Status, res.Body)
	var v struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Body), &v))
	return v.AccessToken
}

func bbClaims(t *testing.T, jws string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jws, ".")[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// Item 11: the API key, which seed 002 sends as client_id, reaches no
// token, response or log line on any path — success or failure — and the
// internal client id is no credential.
func TestBlackboxKeyNeverLeaks(t *testing.T) {
	cmd := bbStart(t)
	now := time.Now().Unix()
	var bodies []string
	send := func(method, path string, h http.Header, body string) cmdtest.Reply {
		res := cmdtest.Do(t, nil, method, cmd.Base+path, h, body)
		bodies = append(bodies, res.Body)
		for k, v := range res.Header {
			bodies = append(bodies, k+": "+strings.Join(v, ","))
		}
		return res
	}
	assert.Equal(t, 200, send("GET", "/v2/stores", http.Header{"Apikey": {bbKey}}, "").Status)
	m2m := bbSession(t, cmd.Base, bbTokenBody("client_credentials", bbKey, bbSecret))
	client := bbSession(t, cmd.Base, bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":100,"notificationKey":"nk-1","userId":"u-1"}`, now))))
	basic := url.QueryEscape(bbKey) + ":" + url.QueryEscape(bbSecret)
	res := send("POST", "/v2/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(basic))}}, "grant_type=client_credentials")
	assert.Equal(t, 200, res.Status, res.Body)
	for _, tok := range []string{m2m, client} {
		raw, _ := json.Marshal(bbClaims(t, tok))
		assert.NotContains(t, string(raw), bbKey, "a session token's claims")
		assert.Equal(t, "client-1", bbClaims(t, tok)["sub"])
	}
	// Failures with the real key as client_id.
	for _, b := range []string{
		bbTokenBody("client_credentials", bbKey, "wrong-secret"),
		bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":100,"notificationKey":"nk-1"}`, now))), // replay
		bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":-1,"notificationKey":"nk-2"}`, now))),
		bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":1,"notificationKey":"nk-3"}`, now-3600))),
		bbTokenBody(jwtBearer, bbKey, "not.an.assertion"),
		`{"grant_type":"password","client_id":"` + bbKey + `"}`,
		bbTokenBody("client_credentials", bbKey, bbSecret) + "x",
	} {
		res := send("POST", "/v2/token", nil, b)
		assert.GreaterOrEqual(t, res.Status, 400, b)
	}
	res = send("POST", "/v2/vouchers/reserve", http.Header{"Authorization": {"Bearer " + client}}, `{"amount":25,"storeId":"store-paris"}`)
	require.Equal(t, 201, res.Status, res.Body)
	var v struct {
		Data struct {
			ID       string `json:"id"`
			ClientID string `json:"clientId"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Body), &v), res.Body)
	assert.Equal(t, "client-1", v.Data.ClientID)
	send("POST", "/v2/vouchers/reserve", http.Header{"Authorization": {"Bearer " + client}}, `{"amount":1000,"storeId":"store-paris"}`) // over the amount
	send("POST", "/v2/vouchers/reserve", http.Header{"Authorization": {"Bearer " + m2m}}, `{"amount":1,"storeId":"store-paris"}`)       // wrong kind
	send("POST", "/v2/vouchers/"+v.Data.ID+"/confirm", http.Header{"Authorization": {"Bearer " + client}}, "")
	send("POST", "/v2/vouchers/"+v.Data.ID+"/confirm", http.Header{"Authorization": {"Bearer " + m2m}}, "")
	send("GET", "/v2/stores", http.Header{"Apikey": {bbKey}, "Authorization": {"Bearer " + m2m}}, "")

	// The internal id is not a credential anywhere.
	assert.Equal(t, 401, send("GET", "/v2/stores", http.Header{"Apikey": {"client-1"}}, "").Status)
	assert.Equal(t, 401, send("POST", "/v2/token", nil, bbTokenBody("client_credentials", "client-1", bbSecret)).Status)
	res = send("POST", "/v2/token", nil, bbTokenBody(jwtBearer, "client-1", bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":1,"notificationKey":"nk-9"}`, now))))
	assert.Equal(t, 400, res.Status, res.Body)

	for _, b := range bodies {
		assert.NotContains(t, b, bbKey, "a response")
	}
	assert.NotContains(t, cmd.Stdout.String(), bbKey, "stdout")
	assert.NotContains(t, cmd.Stderr.String(), bbKey, "the audit log")
	assert.NotContains(t, cmd.Stderr.String(), bbSecret, "the audit log")
	assert.Contains(t, cmd.Stderr.String(), "client-1", "the audit log names the internal id")
}

// Items 2 and 8: every 401 carries a challenge: Bearer on the session
// routes (no error code without a token), the key header's scheme on the
// key route, Basic at the token endpoint.
func TestBlackboxEvery401HasAChallenge(t *testing.T) {
	cmd := bbStart(t)
	now := time.Now().Unix()
	m2m := bbSession(t, cmd.Base, bbTokenBody("client_credentials", bbKey, bbSecret))
	client := bbSession(t, cmd.Base, bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":100,"notificationKey":"c-1"}`, now))))
	i := 0
	for _, rt := range []struct{ path, scheme, wrongKind string }{
		{"/v2/vouchers/reserve", "Bearer", m2m},
		{"/v2/vouchers/v-1/confirm", "Bearer", client},
	} {
		for name, h := range map[string]http.Header{
			"none": nil, "garbage": {"Authorization": {"Bearer garbage"}}, "empty bearer": {"Authorization": {"Bearer"}},
			"spaces bearer": {"Authorization": {"Bearer   "}}, "lower bearer": {"Authorization": {"bearer"}},
			"api key": {"Apikey": {bbKey}}, "wrong kind": {"Authorization": {"Bearer " + rt.wrongKind}},
		} {
			res := cmdtest.Do(t, nil, "POST", cmd.Base+rt.path, h, `{"amount":1,"storeId":"store-paris"}`)
			if name == "wrong kind" && res.Status == 403 {
				continue
			}
			if !assert.Equal(t, 401, res.Status, "%s with %s: %s", rt.path, name, res.Body) {
				continue
			}
			ch := res.Header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(ch, "Bearer"), "%s with %s: %q", rt.path, name, ch)
			if name == "none" || strings.Contains(name, "bearer") {
				assert.NotContains(t, ch, "error=", "%s with %s", rt.path, name)
			}
		}
	}
	for name, h := range map[string]http.Header{"none": nil, "garbage": {"Apikey": {"nope-nope-nope"}}, "bearer": {"Authorization": {"Bearer " + m2m}}} {
		i++
		res := cmdtest.Do(t, cmdtest.ClientFrom(t, fmt.Sprintf("127.0.0.%d", 20+i)), "GET", cmd.Base+"/v2/stores", h, "")
		if assert.Equal(t, 401, res.Status, "stores with %s", name) {
			ch := res.Header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(strings.ToLower(ch), "apikey "), "stores with %s: %q", name, ch)
		}
	}
	for _, b := range []string{bbTokenBody("client_credentials", "unknown", "x"), bbTokenBody("client_credentials", bbKey, "wrong")} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/v2/token", nil, b)
		if assert.Equal(t, 401, res.Status, res.Body) {
			assert.NotEmpty(t, res.Header.Get("WWW-Authenticate"))
			assert.Contains(t, res.Body, "invalid_client")
		}
	}
}

// Item 9: the apikey throttle cannot be dodged by spoofed forwarding
// headers, header spelling or two headers; once tripped, the valid key
// from that address gets 429 with Retry-After, other addresses do not.
func TestBlackboxKeyThrottleBypass(t *testing.T) {
	cmd := bbStart(t)
	attacker := cmdtest.ClientFrom(t, "127.0.0.2")
	tripped, failures := false, 0
	for i := 0; i < 30 && !tripped; i++ {
		h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i)}, "X-Real-Ip": {fmt.Sprintf("203.0.113.%d", i)}}
		guess := fmt.Sprintf("guess-%026d", i)
		switch i % 3 {
		case 0:
			h["apikey"] = []string{guess}
		case 1:
			h["APIKEY"] = []string{guess}
		case 2:
			h["Apikey"] = []string{guess, bbKey}
		}
		res := cmdtest.Do(t, attacker, "GET", cmd.Base+"/v2/stores", h, "")
		switch res.Status {
		case 429:
			tripped = true
			assert.NotEmpty(t, res.Header.Get("Retry-After"))
		case 400, 401:
			failures++
		default:
			t.Fatalf("guess %d: %d %s", i, res.Status, res.Body)
		}
		if i%4 == 3 {
			if ok := cmdtest.Do(t, attacker, "GET", cmd.Base+"/v2/stores", http.Header{"Apikey": {bbKey}}, ""); ok.Status == 429 {
				tripped = true
			}
		}
	}
	require.True(t, tripped)
	assert.LessOrEqual(t, failures, 10)
	res := cmdtest.Do(t, attacker, "GET", cmd.Base+"/v2/stores", http.Header{"Apikey": {bbKey}, "X-Forwarded-For": {"203.0.113.50"}}, "")
	assert.Equal(t, 429, res.Status)
	assert.Equal(t, 200, cmdtest.Do(t, cmdtest.ClientFrom(t, "127.0.0.3"), "GET", cmd.Base+"/v2/stores", http.Header{"Apikey": {bbKey}}, "").Status)
}

// Items 3 and 4: token-endpoint sessions carry one scope claim at most,
// and assertion claims are read by their exact names (no "AMOUNT").
func TestBlackboxAssertionClaims(t *testing.T) {
	cmd := bbStart(t)
	now := time.Now().Unix()
	for i, claims := range []string{
		fmt.Sprintf(`{"iat":%d,"AMOUNT":5000,"notificationKey":"a-1"}`, now),
		fmt.Sprintf(`{"iat":%d,"Amount":5000,"notificationKey":"a-2"}`, now),
		fmt.Sprintf(`{"IAT":%d,"amount":5,"notificationKey":"a-3"}`, now),
		fmt.Sprintf(`{"iat":%d,"amount":5,"NOTIFICATIONKEY":"a-4"}`, now),
	} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/v2/token", nil, bbTokenBody(jwtBearer, bbKey, bbAssertion(claims)))
		assert.Equal(t, 400, res.Status, "%d %s: %s", i, claims, res.Body)
	}
	res := cmdtest.Do(t, nil, "POST", cmd.Base+"/v2/token", nil, bbTokenBody(jwtBearer, bbKey, bbAssertion(fmt.Sprintf(`{"iat":%d,"amount":5,"AMOUNT":5000,"Scp":"admin","notificationKey":"a-5"}`, now))))
	if res.Status == 200 {
		var v struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.Body), &v))
		c := bbClaims(t, v.AccessToken)
		assert.EqualValues(t, 5, c["amount"])
		for k := range c {
			assert.NotContains(t, []string{"scp", "scopes"}, strings.ToLower(k))
		}
		over := cmdtest.Do(t, nil, "POST", cmd.Base+"/v2/vouchers/reserve", http.Header{"Authorization": {"Bearer " + v.AccessToken}}, `{"amount":6,"storeId":"store-paris"}`)
		assert.Equal(t, 403, over.Status, over.Body)
	} else {
		assert.Equal(t, 400, res.Status, res.Body)
	}
}
