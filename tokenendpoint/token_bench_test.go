package tokenendpoint

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/assertionhook"
	"github.com/golang-jwt/jwt/v5"
)

// The token-endpoint benchmarks and their floors, measured in one run:
//
//	FloorHS256VerifySign   golang-jwt: Parse an HS256 assertion (MapClaims)
//	                       + SignedString of the session claims (HS256)
//	FloorRawHMAC           two HMAC-SHA256 over the same inputs, nothing else
//	FloorReplayWrite       one MemoryReplay.Use of a new key
//	GrantJWTBearer         the decision: header check, client lookup, verify,
//	                       claims (assertionhook.Vouchers among them), replay write, sign
//	GrantClientCredentials the decision: lookup, SHA-256, compare, sign
//	TokenHandler*          the whole handler through httptest, for scale
//
// Target: each Grant ≤ 1.5 × FloorHS256VerifySign + FloorReplayWrite.

const benchKey = "bench-api-signature-0123456789abcdef"

const benchClientSecret = "bench-client-secret-0123456789abcdefghijkl"

func benchEndpoint(b *testing.B) *Endpoint {
	b.Helper()
	clients, err := NewMemoryClients(Client{
		ID: "ABCD", SecretHash: HashClientSecret(benchClientSecret), AssertionKey: []byte(benchKey),
		Tenant: "t-1", Scopes: []string{"vouchers:reserve"},
	})
	if err != nil {
		b.Fatal(err)
	}
	ep, err := New(Config{
		Issuer: "vouchers", Key: SigningKey{Key: []byte("issuer-signing-key-0123456789abcdef")},
		Clients: clients, Replay: benchReplayStore(), ReplayClaim: "notificationKey", Assertion: assertionhook.Vouchers(InvalidGrant),
	})
	if err != nil {
		b.Fatal(err)
	}
	return ep
}

// benchAssertions returns n assertions with distinct notificationKeys,
// signed as firebase/php-jwt does.
func benchAssertions(n int, now time.Time) []string {
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	out := make([]string, n)
	for k := range out {
		payload := fmt.Sprintf(`{"amount":100,"iat":%d,"notificationKey":"tx-%d","userId":"u-42"}`, now.Unix(), k)
		input := hdr + "." + enc.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, []byte(benchKey))
		m.Write([]byte(input))
		out[k] = input + "." + enc.EncodeToString(m.Sum(nil))
	}
	return out
}

const benchPool = 1 << 15

func BenchmarkGrantJWTBearer(b *testing.B) {
	ep := benchEndpoint(b)
	assertions := benchAssertions(benchPool, time.Now())
	addr := netip.MustParseAddr("127.0.0.1")
	ctx := context.Background()
	var ev gatehouse.Event
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n == len(assertions) { // every key used: start a new replay store
			b.StopTimer()
			ep.replay, n = benchReplayStore(), 0
			b.StartTimer()
		}
		req := tokenRequest{grantType: GrantJWTBearer, clientID: "ABCD", assertion: assertions[n]}
		n++
		if _, _, e := ep.grant(ctx, addr, &req, &ev); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkGrantClientCredentials(b *testing.B) {
	ep := benchEndpoint(b)
	addr := netip.MustParseAddr("127.0.0.1")
	ctx := context.Background()
	var ev gatehouse.Event
	b.ReportAllocs()
	for b.Loop() {
		req := tokenRequest{grantType: GrantClientCredentials, clientID: "ABCD", clientSecret: benchClientSecret}
		if _, _, e := ep.grant(ctx, addr, &req, &ev); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkFloorHS256VerifySign(b *testing.B) {
	assertion := benchAssertions(1, time.Now())[0]
	signKey := []byte("issuer-signing-key-0123456789abcdef")
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		claims := jwt.MapClaims{}
		if _, err := parser.ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return []byte(benchKey), nil }); err != nil {
			b.Fatal(err)
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": "vouchers", "sub": "ABCD", "aud": "vouchers", "exp": now.Add(time.Hour).Unix(),
			"nbf": now.Unix(), "iat": now.Unix(), "jti": "AAAAAAAAAAAAAAAAAAAAAA", "client_id": "ABCD",
			"scope": "vouchers:reserve", "tenant": "t-1", "session_kind": "client",
			"amount": claims["amount"], "notificationKey": claims["notificationKey"], "userId": claims["userId"],
		})
		if _, err := tok.SignedString(signKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorRawHMAC(b *testing.B) {
	assertion := benchAssertions(1, time.Now())[0]
	input := assertion[:strings.LastIndexByte(assertion, '.')]
	key, signKey := []byte(benchKey), []byte("issuer-signing-key-0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		_ = m.Sum(nil)
		m = hmac.New(sha256.New, signKey)
		m.Write([]byte(input))
		_ = m.Sum(nil)
	}
}

func BenchmarkFloorReplayWrite(b *testing.B) {
	keys := make([]string, benchPool)
	for k := range keys {
		keys[k] = fmt.Sprint("tx-", k)
	}
	m := benchReplayStore()
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n == len(keys) {
			b.StopTimer()
			m, n = benchReplayStore(), 0
			b.StartTimer()
		}
		if fresh, err := m.Use(ctx, "ABCD", keys[n], 5*time.Minute); err != nil || !fresh {
			b.Fatal(fresh, err)
		}
		n++
	}
}

func BenchmarkTokenHandlerJWTBearer(b *testing.B) {
	ep := benchEndpoint(b)
	assertions := benchAssertions(benchPool, time.Now())
	bodies := make([]string, len(assertions))
	for k, a := range assertions {
		bodies[k] = `{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":"ABCD","assertion":"` + a + `"}`
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n == len(bodies) {
			b.StopTimer()
			ep.replay, n = benchReplayStore(), 0
			b.StartTimer()
		}
		r := httptest.NewRequest("POST", "/v2/token", strings.NewReader(bodies[n]))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		ep.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
		n++
	}
}

func BenchmarkTokenHandlerClientCredentials(b *testing.B) {
	ep := benchEndpoint(b)
	body := "grant_type=client_credentials&client_id=ABCD&client_secret=" + benchClientSecret
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		ep.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// benchReplayStore is a memory store whose bounds no benchmark reaches:
// the benchmarks that use it spend one client's keys far beyond a
// client's share, and measure the code paths, not the bounds.
func benchReplayStore() *MemoryReplay {
	m, err := NewMemoryReplay(MemoryReplayConfig{MaxKeys: math.MaxInt, MaxKeysPerClient: math.MaxInt})
	if err != nil {
		panic(err)
	}
	return m
}
