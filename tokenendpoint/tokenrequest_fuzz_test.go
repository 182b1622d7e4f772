package tokenendpoint

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/assertionhook"
)

// FuzzParseTokenRequest feeds arbitrary content types, bodies and
// Authorization headers to the token-request parser: it must never panic,
// must refuse with a 4xx invalid_request, and what it accepts must respect
// its own limits. An Authorization header of another scheme than Basic is
// the one refusal that is not invalid_request: ServeHTTP answers it with
// invalid_client (RFC 6749 §5.2).
func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/json", `{"grant_type": "client_credentials", "client_id": "ABCD", "client_secret": "s"}`, "")
	f.Add("application/json", `{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "ABCD", "assertion": "a.b.c"}`, "")
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=ABCD&client_secret=s", "")
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials", "Basic QUJDRDpz")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "grant_type=a&grant_type=b", "Bearer x")
	f.Add("application/json", `{"client_id":1}`, "Basic %%%")
	f.Add("text/plain", "", "")
	f.Fuzz(func(t *testing.T, ct, body, auth string) {
		r := httptest.NewRequest("POST", "/token", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, e := parseTokenRequest(httptest.NewRecorder(), r, defaultMaxBodyBytes)
		if e == errAuthScheme {
			// Another scheme than Basic: ServeHTTP answers invalid_client.
			if v := r.Header.Get("Authorization"); len(v) >= 6 && strings.EqualFold(v[:6], "Basic ") {
				t.Fatalf("Basic header %q refused as another scheme", v)
			}
			return
		}
		if e != nil {
			if e.Status < 400 || e.Status >= 500 || e.OAuthCode != "invalid_request" {
				t.Fatalf("refusal %d %q", e.Status, e.OAuthCode)
			}
			return
		}
		if len(req.clientID) > maxClientIDBytes {
			t.Fatalf("client_id of %d bytes accepted", len(req.clientID))
		}
		if req.basic && (req.clientID == "" || r.Header.Get("Authorization") == "") {
			t.Fatalf("basic without a client: %+v", req)
		}
		if len(body) > defaultMaxBodyBytes && len(req.assertion)+len(req.clientSecret) > defaultMaxBodyBytes {
			t.Fatalf("body over the cap accepted")
		}
	})
}

// FuzzAssertion feeds arbitrary assertions to the header check and
// arbitrary payloads to the claims check, with the assertionhook.Vouchers hook:
// neither may panic, and an accepted grant must carry a replay key of at
// most 256 bytes and, from the hook, a positive amount.
func FuzzAssertion(f *testing.F) {
	f.Add("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhbW91bnQiOjEwMCwiaWF0IjoxNzAwMDAwMDAwLCJub3RpZmljYXRpb25LZXkiOiIxMjM0NSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbg", "eyJhbW91bnQiOjEwMCwiaWF0IjoxNzAwMDAwMDAwLCJub3RpZmljYXRpb25LZXkiOiIxMjM0NSJ9")
	f.Add("eyJhbGciOiJub25lIn0.e30.", "e30")
	f.Add("a.b.c.d", "eyJpYXQiOiIxIn0")
	clients, err := NewMemoryClients(Client{ID: "ABCD", AssertionKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		f.Fatal(err)
	}
	ep, err := New(Config{
		Issuer: "https://tokenendpoint.example", Key: SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Clients: clients, ReplayClaim: "notificationKey", Assertion: assertionhook.Vouchers(InvalidGrant),
		Now: func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token, payload string) {
		_, _, sig, e := splitAssertion(token)
		if e == nil && len(sig) != 32 {
			t.Fatalf("signature of %d bytes accepted", len(sig))
		}
		key, extra, e := ep.checkAssertionClaims(payload, "ABCD")
		if e != nil {
			return
		}
		amount := reflect.ValueOf(extra).FieldByName("Amount").String()
		if key == "" || len(key) > maxReplayKeyBytes || amount == "" || amount[0] == '-' || amount == "0" {
			t.Fatalf("accepted %q %+v", key, extra)
		}
	})
}
