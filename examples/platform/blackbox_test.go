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

// The black-box probes of issue 14 against the platform command as it
// runs, over loopback.

const (
	bbSecret      = "blackbox-secret-blackbox-secret-0123"
	bbSupplierKey = "ak_live_0123456789abcdef0123456789abcdef"
	bbPaymentKey  = "ak_live_fedcba9876543210fedcba9876543210"
)

func bbSign(header, payload string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(bbSecret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

func bbStart(t *testing.T) *cmdtest.Command {
	t.Helper()
	vars := map[string]string{"JWT_SECRET": bbSecret, "SUPPLIER_API_KEY": bbSupplierKey, "PAYMENT_API_KEY": bbPaymentKey}
	return cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return vars[k] }, stdout, stderr)
	})
}

func bbToken(t *testing.T, base, path, user, pw string) (access, refresh string) {
	t.Helper()
	res := cmdtest.Do(t, nil, "POST", base+path, nil, fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw))
	require.Equal(t, 200, res.Status, res.Body)
	var v struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Body), &v))
	access, _ = v.Data["access_token"].(string)
	refresh, _ = v.Data["refresh_token"].(string)
	require.NotEmpty(t, access, res.Body)
	return access, refresh
}

func bbCode(t *testing.T, body string) int {
	t.Helper()
	var v struct {
		Code int `json:"code"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return v.Code
}

// Items 2 and 8: every 401 of every route carries a challenge naming the
// route's scheme; a Bearer scheme without a token gets no error code.
func TestBlackboxEvery401HasAChallenge(t *testing.T) {
	cmd := bbStart(t)
	now := time.Now().Unix()
	expired := func(aud string) string {
		return bbSign(`{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"iss":"platform","aud":%q,"sub":"ptn_1001","tenant":"acme","jti":"x","scope":"orders:read orders:write account:read","iat":%d,"exp":%d}`, aud, now-7200, now-3600))
	}
	store, _ := bbToken(t, cmd.Base, "/Storefront/Login", "jane@acme.example", "customer-demo-password")
	reseller, _ := bbToken(t, cmd.Base, "/Token/Generate", "partner", "partner-demo-password")
	n := 0
	for _, rt := range []struct{ method, path, scheme, aud, other string }{
		{"POST", "/Orders/Create", "Bearer", "reseller", store},
		{"GET", "/Orders/List", "Bearer", "reseller", store},
		{"GET", "/Storefront/Account", "Bearer", "storefront", reseller},
		{"GET", "/Storefront/Orders", "Bearer", "storefront", reseller},
		{"POST", "/Payment/Charges/Create", "ApiKey", "", bbSupplierKey},
		{"GET", "/Payment/Charges/List", "ApiKey", "", ""},
		{"POST", "/Supplier/Products/List", "ApiKey", "", ""},
		{"POST", "/Supplier/Products/UpdateStock", "ApiKey", "", ""},
	} {
		var creds map[string]http.Header
		if rt.scheme == "Bearer" {
			creds = map[string]http.Header{
				"none": nil, "garbage": {"Authorization": {"Bearer garbage"}}, "expired": {"Authorization": {"Bearer " + expired(rt.aud)}},
				"other surface": {"Authorization": {"Bearer " + rt.other}}, "api key": {"ApiKey": {bbSupplierKey}},
				"empty bearer": {"Authorization": {"Bearer"}}, "lower bearer": {"Authorization": {"bearer  "}},
			}
		} else {
			creds = map[string]http.Header{
				"none": nil, "garbage": {"Apikey": {"ak_live_nope"}}, "bearer": {"Authorization": {"Bearer " + reseller}},
				"other tenant": {"Apikey": {bbSupplierKey}, "X-Tenant-Id": {"globex"}},
			}
		}
		for name, h := range creds {
			// A fresh address per probe keeps the key throttle out of the walk.
			c := cmdtest.ClientFrom(t, fmt.Sprintf("127.0.0.%d", 10+n%200))
			res := cmdtest.Do(t, c, rt.method, cmd.Base+rt.path, h, "")
			n++
			if !assert.Equal(t, 401, res.Status, "%s %s with %s: %s", rt.method, rt.path, name, res.Body) {
				continue
			}
			assert.Equal(t, -23, bbCode(t, res.Body))
			ch := res.Header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(ch, rt.scheme+" "), "%s %s with %s: challenge %q", rt.method, rt.path, name, ch)
			if strings.Contains(name, "bearer") && rt.scheme == "Bearer" || name == "none" {
				assert.NotContains(t, ch, "error=", "%s %s with %s", rt.method, rt.path, name)
			}
		}
	}
	for _, b := range []struct{ path, body string }{
		{"/Token/Generate", `{"username":"partner","password":"wrong"}`},
		{"/Storefront/Login", `{"username":"nobody@acme.example","password":"wrong"}`},
		{"/Token/Refresh", `{"refresh_token":"rt_garbage"}`},
		{"/Storefront/Refresh", `{"refresh_token":"` + store + `"}`},
	} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+b.path, nil, b.body)
		if assert.Equal(t, 401, res.Status, "%s: %s", b.path, res.Body) {
			assert.NotEmpty(t, res.Header.Get("WWW-Authenticate"), b.path)
		}
	}
}

// Item 9: the API-key throttle cannot be dodged by spoofed forwarding
// headers, by spelling the key header differently, by two key headers, by
// switching surfaces or tenants, or by slipping a valid key between
// guesses; once it trips, a valid key from that address gets 429 with
// Retry-After too, and other addresses are unaffected.
func TestBlackboxKeyThrottleBypass(t *testing.T) {
	cmd := bbStart(t)
	attacker := cmdtest.ClientFrom(t, "127.0.0.2")
	paths := []string{"/Supplier/Products/List", "/Payment/Charges/List"}
	methods := map[string]string{"/Supplier/Products/List": "POST", "/Payment/Charges/List": "GET"}
	validFor := map[string]string{"/Supplier/Products/List": bbSupplierKey, "/Payment/Charges/List": bbPaymentKey}
	failures := 0
	tripped := false
	for i := 0; i < 40 && !tripped; i++ {
		path := paths[i%2]
		h := http.Header{
			"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i)}, "X-Real-Ip": {fmt.Sprintf("198.51.100.%d", i)},
			"Forwarded": {fmt.Sprintf("for=192.0.2.%d", i)}, "X-Tenant-Id": {[]string{"acme", "globex", "ACME"}[i%3]},
		}
		key := fmt.Sprintf("ak_live_guess%032d", i)
		switch i % 4 {
		case 0:
			h["Apikey"] = []string{key}
		case 1:
			h["APIKEY"] = []string{key} // sent as written; the server canonicalizes
		case 2:
			h["apikey"] = []string{key}
		case 3:
			h["Apikey"] = []string{key, validFor[path]} // two headers, a valid one second
		}
		res := cmdtest.Do(t, attacker, methods[path], cmd.Base+path, h, "")
		switch res.Status {
		case 429:
			tripped = true
			assert.NotEmpty(t, res.Header.Get("Retry-After"))
			assert.Equal(t, -29, bbCode(t, res.Body))
		case 401, 400:
			failures++
		default:
			t.Fatalf("guess %d (%v): %d %s", i, h, res.Status, res.Body)
		}
		if i%3 == 2 {
			// A valid key between guesses takes back only its own attempt.
			ok := cmdtest.Do(t, attacker, methods[path], cmd.Base+path, http.Header{"Apikey": {validFor[path]}}, "")
			if ok.Status == 429 {
				tripped = true
			} else {
				require.Equal(t, 200, ok.Status, ok.Body)
			}
		}
	}
	require.True(t, tripped, "the throttle trips")
	assert.LessOrEqual(t, failures, 10, "at most KeyAttempts refused keys before 429")
	for _, path := range paths {
		res := cmdtest.Do(t, attacker, methods[path], cmd.Base+path, http.Header{"Apikey": {validFor[path]}, "X-Forwarded-For": {"203.0.113.9"}}, "")
		assert.Equal(t, 429, res.Status, "a valid key from the throttled address, forwarded-for or not: %s", res.Body)
	}
	other := cmdtest.ClientFrom(t, "127.0.0.3")
	assert.Equal(t, 200, cmdtest.Do(t, other, "POST", cmd.Base+"/Supplier/Products/List", http.Header{"Apikey": {bbSupplierKey}}, "").Status)
}

// Item 7: a JWT in the header plus an access_token in the query or a form
// body is 400 with code -25.
func TestBlackboxTwoTokenMethods(t *testing.T) {
	cmd := bbStart(t)
	reseller, _ := bbToken(t, cmd.Base, "/Token/Generate", "partner", "partner-demo-password")
	for _, q := range []string{"access_token=" + url.QueryEscape(reseller), "access_token=", "a=b&access_token=x"} {
		res := cmdtest.Do(t, nil, "GET", cmd.Base+"/Orders/List?"+q, http.Header{"Authorization": {"Bearer " + reseller}}, "")
		if assert.Equal(t, 400, res.Status, "?%s: %s", q, res.Body) {
			assert.Equal(t, -25, bbCode(t, res.Body))
		}
	}
	for _, ct := range []string{"application/x-www-form-urlencoded; charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED"} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/Orders/Create", http.Header{"Authorization": {"Bearer " + reseller}, "Content-Type": {ct}}, "access_token="+url.QueryEscape(reseller))
		assert.Equal(t, 400, res.Status, "%s: %s", ct, res.Body)
	}
}

// Item 3: the platform's login and refresh tokens carry one scope claim.
func TestBlackboxTokensCarryOneScopeClaim(t *testing.T) {
	cmd := bbStart(t)
	access, refresh := bbToken(t, cmd.Base, "/Token/Generate", "partner", "partner-demo-password")
	res := cmdtest.Do(t, nil, "POST", cmd.Base+"/Token/Refresh", nil, `{"refresh_token":"`+refresh+`"}`)
	require.Equal(t, 200, res.Status, res.Body)
	var v struct {
		Data struct {
			AccessToken string `json:"access_token"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Body), &v))
	for _, tok := range []string{access, v.Data.AccessToken} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		for k := range m {
			assert.NotContains(t, []string{"scp", "scopes"}, strings.ToLower(k))
		}
		assert.Equal(t, "orders:read orders:write", m["scope"])
	}
}
