package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/vouchers/server"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	apiKey       = "ABCD"
	apiSignature = "monApiSignature-monApiSignature-0" // seed 002's, lengthened to HS256's 32 bytes
	clientSecret = "client-secret-0123456789abcdefghijklmnopq"
)

// testClock is a settable clock shared by the server and the tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type api struct {
	url   string
	clock *testClock
}

// newAPI serves the API on a real loopback listener.
func newAPI(t *testing.T) *api {
	t.Helper()
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	srv, err := server.New(server.Config{
		ClientID: apiKey, APISignature: []byte(apiSignature), ClientSecret: clientSecret, Now: clock.Now,
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	require.True(t, strings.HasPrefix(ts.URL, "http://127.0.0.1:"))
	return &api{url: ts.URL, clock: clock}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (a *api) do(t *testing.T, method, path, ct, body string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	require.NoError(t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Set(hdr[k], hdr[k+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// seedAssertion posts seed 002's jwt-bearer curl body.
func (a *api) seedAssertion(t *testing.T, clientID, assertion string) response {
	return a.do(t, "POST", "/v2/token", "application/json",
		`{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "`+clientID+`", "assertion": "`+assertion+`"}`)
}

// seedClientCredentials posts seed 002's m2m curl body.
func (a *api) seedClientCredentials(t *testing.T, clientID, secret string) response {
	return a.do(t, "POST", "/v2/token", "application/json",
		`{"grant_type": "client_credentials", "client_id": "`+clientID+`", "client_secret": "`+secret+`"}`)
}

func accessToken(t *testing.T, r response) string {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	var b map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &b))
	assert.Equal(t, "Bearer", b["token_type"])
	assert.Equal(t, float64(3600), b["expires_in"])
	tok, _ := b["access_token"].(string)
	require.NotEmpty(t, tok)
	return tok
}

func oauthError(t *testing.T, r response) (code, desc string) {
	t.Helper()
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	return b.Error, b.Description
}

func nestedCode(t *testing.T, r response) string {
	t.Helper()
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	return b.Error.Code
}

// phpJWT reproduces seed 002's PHP sample with firebase/php-jwt:
// JWT::encode(array("amount" => 100, "iat" => time(), "notificationKey" => "12345"), $signature)
// — header {"typ":"JWT","alg":"HS256"}, json_encode of both, urlsafeB64Encode
// (base64, + / → - _, padding trimmed), HMAC-SHA256 over "header.payload".
func phpJWT(signature string, claims string) string {
	urlsafe := func(b []byte) string {
		s := base64.StdEncoding.EncodeToString(b)
		s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
		return strings.TrimRight(s, "=")
	}
	input := urlsafe([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + urlsafe([]byte(claims))
	mac := hmac.New(sha256.New, []byte(signature))
	mac.Write([]byte(input))
	return input + "." + urlsafe(mac.Sum(nil))
}

func phpClaims(iat int64, nk string) string {
	return `{"amount":100,"iat":` + jsonInt(iat) + `,"notificationKey":"` + nk + `"}`
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// anyJWS signs claims under an arbitrary header with HMAC-SHA256 (or no
// signature for alg none).
func anyJWS(header, claims string, key string, alg string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	switch alg {
	case "none":
		return input + "."
	case "HS512":
		tok, _ := jwt.SigningMethodHS512.Sign(input, []byte(key))
		return input + "." + enc.EncodeToString(tok)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestPHPSampleInterop(t *testing.T) {
	// The PHP sample's exact construction, with its own signature, is what
	// SignAssertion produces and what golang-jwt accepts.
	const iat = 1700000000
	php := phpJWT("monApiSignature", phpClaims(iat, "12345"))
	mine, err := server.SignAssertion([]byte("monApiSignature"), server.Assertion{Amount: "100", IssuedAt: iat, NotificationKey: "12345"})
	require.NoError(t, err)
	assert.Equal(t, php, mine)
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(php, claims, func(*jwt.Token) (any, error) { return []byte("monApiSignature"), nil })
	require.NoError(t, err)
	assert.Equal(t, "JWT", tok.Header["typ"])
	assert.Equal(t, float64(100), claims["amount"])
	assert.Equal(t, "12345", claims["notificationKey"])
}

func TestThreeAuthenticationMeans(t *testing.T) {
	a := newAPI(t)

	t.Run("api key only", func(t *testing.T) {
		r := a.do(t, "GET", "/v2/stores", "", "", "apikey", apiKey)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Contains(t, r.body, `"store-paris"`)
		r = a.do(t, "GET", "/v2/stores", "", "", "APIKEY", apiKey)
		assert.Equal(t, http.StatusOK, r.status, "header names are case-insensitive")
		for _, hdr := range [][]string{{"apikey", "WRONG"}, {}, {"Authorization", "Bearer " + apiKey}} {
			r = a.do(t, "GET", "/v2/stores", "", "", hdr...)
			assert.Equal(t, http.StatusUnauthorized, r.status, "%q", hdr)
		}
	})

	t.Run("client session from the PHP sample", func(t *testing.T) {
		tok := accessToken(t, a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(a.clock.Now().Unix(), "12345"))))
		r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount": 40, "storeId": "store-paris"}`, "Authorization", "Bearer "+tok)
		require.Equal(t, http.StatusCreated, r.status, r.body)
		assert.Contains(t, r.body, `"status":"confirmed"`)
		assert.Contains(t, r.body, `"notificationKey":"12345"`)
	})

	t.Run("m2m session with client_id and client_secret", func(t *testing.T) {
		for _, r := range []response{
			a.seedClientCredentials(t, apiKey, clientSecret),
			a.do(t, "POST", "/v2/token", "application/x-www-form-urlencoded",
				url.Values{"grant_type": {"client_credentials"}, "client_id": {apiKey}, "client_secret": {clientSecret}}.Encode()),
			a.do(t, "POST", "/v2/token", "application/x-www-form-urlencoded", "grant_type=client_credentials",
				"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(apiKey+":"+clientSecret))),
		} {
			tok := accessToken(t, r)
			r := a.do(t, "POST", "/v2/vouchers/v_missing/confirm", "", "", "Authorization", "Bearer "+tok)
			assert.Equal(t, http.StatusNotFound, r.status, "authenticated, no such voucher: %s", r.body)
		}
	})
}

func TestVoucherFlow(t *testing.T) {
	a := newAPI(t)
	assertion, err := server.SignAssertion([]byte(apiSignature), server.Assertion{
		Amount: "100", IssuedAt: a.clock.Now().Unix(), NotificationKey: "tx-manual", UserID: "user-7", ForceManualConfirm: true,
	})
	require.NoError(t, err)
	client := "Bearer " + accessToken(t, a.seedAssertion(t, apiKey, assertion))
	m2m := "Bearer " + accessToken(t, a.seedClientCredentials(t, apiKey, clientSecret))

	reserve := func(amount string) response {
		return a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount": `+amount+`}`, "Authorization", client)
	}
	r := reserve("60")
	require.Equal(t, http.StatusCreated, r.status, r.body)
	var v struct {
		Data server.Voucher `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &v))
	assert.Equal(t, server.StatusAwaitingConfirmation, v.Data.Status)
	assert.Equal(t, "user-7", v.Data.UserID)
	assert.Nil(t, v.Data.ConfirmedAt)

	// The session had 100; 60 are reserved, so 40.01 is refused and 40 is not.
	r = reserve("40.01")
	require.Equal(t, http.StatusForbidden, r.status, r.body)
	assert.Equal(t, "FORBIDDEN", nestedCode(t, r))
	require.Equal(t, http.StatusCreated, reserve("40").status)
	require.Equal(t, http.StatusForbidden, reserve("0.01").status, "nothing left")
	for _, bad := range []string{"0", "-5", `"10"`, "true", "1e999"} {
		assert.Equal(t, http.StatusBadRequest, reserve(bad).status, bad)
	}

	// Only an m2m session confirms, once.
	path := "/v2/vouchers/" + v.Data.ID + "/confirm"
	r = a.do(t, "POST", path, "", "", "Authorization", client)
	require.Equal(t, http.StatusForbidden, r.status, "a client session cannot confirm")
	r = a.do(t, "POST", path, "", "", "Authorization", m2m)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"status":"confirmed"`)
	r = a.do(t, "POST", path, "", "", "Authorization", m2m)
	assert.Equal(t, http.StatusConflict, r.status)
}

func TestRefusals(t *testing.T) {
	a := newAPI(t)
	now := a.clock.Now().Unix()
	hdr := `{"typ":"JWT","alg":"HS256"}`
	claims := func(nk string, extra string) string {
		return `{"iat":` + jsonInt(now) + `,"notificationKey":"` + nk + `"` + extra + `}`
	}
	signed := func(c string) string { return anyJWS(hdr, c, apiSignature, "HS256") }

	// Used once, so that the replay case below is a replay.
	accessToken(t, a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(now, "used-once"))))

	cases := []struct {
		name   string
		resp   func() response
		status int
		code   string
	}{
		{"wrong client secret", func() response { return a.seedClientCredentials(t, apiKey, "wrong-secret") }, 401, "invalid_client"},
		{"unknown client (m2m)", func() response { return a.seedClientCredentials(t, "EFGH", clientSecret) }, 401, "invalid_client"},
		{"wrong API signature", func() response {
			return a.seedAssertion(t, apiKey, phpJWT("another-signature-another-signature", phpClaims(now, "w")))
		}, 400, "invalid_grant"},
		{"unknown client (assertion)", func() response { return a.seedAssertion(t, "EFGH", phpJWT(apiSignature, phpClaims(now, "u"))) }, 400, "invalid_grant"},
		{"alg none", func() response {
			return a.seedAssertion(t, apiKey, anyJWS(`{"typ":"JWT","alg":"none"}`, claims("n", `,"amount":100`), "", "none"))
		}, 400, "invalid_grant"},
		{"alg HS512", func() response {
			return a.seedAssertion(t, apiKey, anyJWS(`{"typ":"JWT","alg":"HS512"}`, claims("h", `,"amount":100`), apiSignature, "HS512"))
		}, 400, "invalid_grant"},
		{"stale iat", func() response { return a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(now-301, "s"))) }, 400, "invalid_grant"},
		{"future iat", func() response { return a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(now+60, "f"))) }, 400, "invalid_grant"},
		{"missing notificationKey", func() response {
			return a.seedAssertion(t, apiKey, signed(`{"amount":100,"iat":`+jsonInt(now)+`}`))
		}, 400, "invalid_grant"},
		{"replayed notificationKey", func() response {
			return a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(now, "used-once")))
		}, 400, "invalid_grant"},
		{"amount zero", func() response { return a.seedAssertion(t, apiKey, signed(claims("z", `,"amount":0`))) }, 400, "invalid_grant"},
		{"amount negative", func() response { return a.seedAssertion(t, apiKey, signed(claims("m", `,"amount":-10`))) }, 400, "invalid_grant"},
		{"amount a string", func() response { return a.seedAssertion(t, apiKey, signed(claims("q", `,"amount":"100"`))) }, 400, "invalid_grant"},
		{"unsupported grant", func() response {
			return a.do(t, "POST", "/v2/token", "application/json", `{"grant_type":"password","client_id":"ABCD"}`)
		}, 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.resp()
			require.Equal(t, tc.status, r.status, r.body)
			code, _ := oauthError(t, r)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, `Basic realm="vouchers", charset="UTF-8"`, r.header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("unknown and known clients answer alike", func(t *testing.T) {
		assert.Equal(t, a.seedClientCredentials(t, "EFGH", "x").body, a.seedClientCredentials(t, apiKey, "x").body)
		assert.Equal(t, a.seedAssertion(t, "EFGH", phpJWT(apiSignature, phpClaims(now, "k1"))).body,
			a.seedAssertion(t, apiKey, phpJWT("another-signature-another-signature", phpClaims(now, "k2"))).body)
	})

	t.Run("wrong session kind", func(t *testing.T) {
		client := "Bearer " + accessToken(t, a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(now, "kind"))))
		m2m := "Bearer " + accessToken(t, a.seedClientCredentials(t, apiKey, clientSecret))
		r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount":1}`, "Authorization", m2m)
		assert.Equal(t, http.StatusForbidden, r.status, "m2m session on a client route")
		r = a.do(t, "POST", "/v2/vouchers/v_x/confirm", "", "", "Authorization", client)
		assert.Equal(t, http.StatusForbidden, r.status, "client session on an m2m route")
	})

	t.Run("api key alone on session routes", func(t *testing.T) {
		r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount":1}`, "apikey", apiKey)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
		r = a.do(t, "POST", "/v2/vouchers/v_x/confirm", "", "", "apikey", apiKey)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		r = a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount":1}`, "Authorization", "Bearer "+apiKey)
		assert.Equal(t, http.StatusUnauthorized, r.status, "an API key is no bearer token")
	})

	t.Run("session token alone on the api key route", func(t *testing.T) {
		m2m := "Bearer " + accessToken(t, a.seedClientCredentials(t, apiKey, clientSecret))
		r := a.do(t, "GET", "/v2/stores", "", "", "Authorization", m2m)
		assert.Equal(t, http.StatusUnauthorized, r.status)
	})

	t.Run("session expires", func(t *testing.T) {
		m2m := "Bearer " + accessToken(t, a.seedClientCredentials(t, apiKey, clientSecret))
		a.clock.Add(time.Hour + time.Second)
		r := a.do(t, "POST", "/v2/vouchers/v_x/confirm", "", "", "Authorization", m2m)
		assert.Equal(t, http.StatusUnauthorized, r.status)
	})
}

// TestUnroutedRequestsAnswerInEnvelope: a wrong method on an API route
// answers 405 with an Allow header, an unknown path 404, both in the
// nested envelope the README promises rather than net/http's text/plain.
func TestUnroutedRequestsAnswerInEnvelope(t *testing.T) {
	a := newAPI(t)
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v2/vouchers/reserve", "POST"},
		{"DELETE", "/v2/stores", "GET, HEAD"},
		{"POST", "/v2/stores", "GET, HEAD"},
		{"GET", "/v2/token", "POST"},
		{"PUT", "/v2/vouchers/v_x/confirm", "POST"},
		{"GET", "/v2/vouchers", ""},
		{"POST", "/v2/vouchers/v_x", ""},
		{"GET", "/", ""},
		{"GET", "/v1/stores", ""},
	} {
		r := a.do(t, c.method, c.path, "", "", "apikey", apiKey)
		assert.Equal(t, "application/json", r.header.Get("Content-Type"), "%s %s: %s", c.method, c.path, r.body)
		var b struct {
			Error struct{ Name, Code, Message string } `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &b), "%s %s: %s", c.method, c.path, r.body)
		if c.allow == "" {
			assert.Equal(t, http.StatusNotFound, r.status, "%s %s", c.method, c.path)
			assert.Equal(t, "NOT_FOUND", b.Error.Code, "%s %s", c.method, c.path)
			assert.Empty(t, r.header.Get("Allow"))
			continue
		}
		assert.Equal(t, http.StatusMethodNotAllowed, r.status, "%s %s", c.method, c.path)
		assert.Equal(t, "METHOD_NOT_ALLOWED", b.Error.Code, "%s %s", c.method, c.path)
		assert.Equal(t, c.allow, r.header.Get("Allow"), "%s %s", c.method, c.path)
		assert.Equal(t, "Method not allowed; use "+c.allow, b.Error.Message)
	}
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]server.Config{
		"no client id":     {APISignature: []byte(apiSignature), ClientSecret: clientSecret},
		"no signature":     {ClientID: apiKey, ClientSecret: clientSecret},
		"no secret":        {ClientID: apiKey, APISignature: []byte(apiSignature)},
		"short signature":  {ClientID: apiKey, APISignature: []byte("monApiSignature"), ClientSecret: clientSecret},
		"tiny signature":   {ClientID: apiKey, APISignature: []byte("1234567"), ClientSecret: clientSecret, InsecureShortAPISignature: true},
		"short signingkey": {ClientID: apiKey, APISignature: []byte(apiSignature), ClientSecret: clientSecret, SigningKey: []byte("short")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := server.New(cfg)
			require.Error(t, err)
		})
	}
}

// TestSeedSignature serves the client with seed 002's own 15-byte
// "monApiSignature" through the opt-in, and opens a client session with the
// PHP sample's assertion sent in the seed's curl body.
func TestSeedSignature(t *testing.T) {
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	srv, err := server.New(server.Config{
		ClientID: apiKey, APISignature: []byte("monApiSignature"), InsecureShortAPISignature: true,
		ClientSecret: clientSecret, Now: clock.Now,
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	a := &api{url: ts.URL, clock: clock}

	tok := accessToken(t, a.seedAssertion(t, apiKey, phpJWT("monApiSignature", phpClaims(clock.Now().Unix(), "12345"))))
	r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount": 100, "storeId": "store-lyon"}`, "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Contains(t, r.body, `"notificationKey":"12345"`)

	r = a.seedAssertion(t, apiKey, phpJWT("monApiSignature-monApiSignature-0", phpClaims(clock.Now().Unix(), "other")))
	require.Equal(t, http.StatusBadRequest, r.status, "the key is the short one, nothing else")
	code, _ := oauthError(t, r)
	assert.Equal(t, "invalid_grant", code)
}

// TestIntegerClaims: PHP integrations often send userId and
// notificationKey as integers; they become their decimal strings, and
// 12345 is the same notificationKey as "12345".
func TestIntegerClaims(t *testing.T) {
	a := newAPI(t)
	now := jsonInt(a.clock.Now().Unix())
	tok := accessToken(t, a.seedAssertion(t, apiKey, phpJWT(apiSignature, `{"amount":100,"iat":`+now+`,"notificationKey":12345,"userId":42}`)))
	r := a.do(t, "POST", "/v2/vouchers/reserve", "application/json", `{"amount": 10, "storeId": "store-paris"}`, "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Contains(t, r.body, `"notificationKey":"12345"`)
	assert.Contains(t, r.body, `"userId":"42"`)

	r = a.seedAssertion(t, apiKey, phpJWT(apiSignature, phpClaims(a.clock.Now().Unix(), "12345")))
	require.Equal(t, http.StatusBadRequest, r.status, "the string form is the same key: a replay")
	_, desc := oauthError(t, r)
	assert.Equal(t, "Assertion notificationKey was already used", desc)

	r = a.seedAssertion(t, apiKey, phpJWT(apiSignature, `{"amount":100,"iat":`+now+`,"notificationKey":12346.0}`))
	require.Equal(t, http.StatusBadRequest, r.status, "a float is not an integer")
}
