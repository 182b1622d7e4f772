package issuer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// The benchmarks the issue names, each next to its floor so one run gives
// both numbers:
//
//	BenchmarkLogin            vs BenchmarkFloorBcrypt       (login is the hash)
//	BenchmarkRefresh          vs BenchmarkFloorSignAndRotate (≤ 2×)
//	BenchmarkIssuePair        vs BenchmarkFloorSignAndGenerate (≤ 1.2×)

var benchSecret = []byte("0123456789abcdef0123456789abcdef")

type nopRevoker struct{}

func (nopRevoker) RevokeToken(context.Context, string, string, time.Time) error   { return nil }
func (nopRevoker) RevokeSession(context.Context, string, string, time.Time) error { return nil }
func (nopRevoker) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return nil
}
func (nopRevoker) Revoked(context.Context, *bearer.TokenRef) (bool, error) { return false, nil }

func benchIssuer(b *testing.B, cost int, mod ...func(*Config)) *Issuer {
	b.Helper()
	hash, err := HashPassword("demo-password", cost)
	if err != nil {
		b.Fatal(err)
	}
	creds, err := NewMemoryCredentials(Account{Username: "demo", PasswordHash: hash, ClientID: "123456", Scopes: []string{"products:read", "categories:read"}})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		Issuer: "https://rewards.example", Audiences: []string{"rewardstore-api"},
		Key: SigningKey{Key: benchSecret}, Credentials: creds, Revocations: nopRevoker{}, BcryptCost: cost,
		Refresh: benchRefreshStore(),
	}
	for _, m := range mod {
		m(&cfg)
	}
	iss, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return iss
}

var benchSession = Session{Subject: "demo", Tenant: "123456", ClientID: "123456", Scopes: []string{"products:read", "categories:read"}}

// floorClaims carries the same claims as an issued access token, for the
// raw golang-jwt floor.
type floorClaims struct {
	jwt.RegisteredClaims
	ClientID  string `json:"client_id,omitempty"`
	Scope     string `json:"scope,omitempty"`
	SessionID string `json:"sid,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
}

func rawSign(b *testing.B, now time.Time) string {
	c := floorClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://rewards.example", Subject: "demo", Audience: jwt.ClaimStrings{"rewardstore-api"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), NotBefore: jwt.NewNumericDate(now),
			IssuedAt: jwt.NewNumericDate(now), ID: "AAAAAAAAAAAAAAAAAAAAAA",
		},
		ClientID: "123456", Scope: "products:read categories:read", SessionID: "BBBBBBBBBBBBBBBBBBBBBB", Tenant: "123456",
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["typ"] = "at+jwt"
	s, err := t.SignedString(benchSecret)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// discardRefresh accepts every write and keeps nothing, so BenchmarkIssuePair
// measures issuance itself (signing, ids, refresh token, hashing) without an
// ever-growing map; BenchmarkIssuePairMemoryStore adds the real store.
type discardRefresh struct{ RefreshStore }

func (discardRefresh) Create(context.Context, Family, RefreshRecord) error { return nil }

// benchJWT configures the JWT formats: typ JWT, refresh JWTs.
func benchJWT(c *Config) { c.TokenType, c.RefreshJWT = "JWT", true }

func BenchmarkIssuePair(b *testing.B) { benchIssuePair(b) }

func BenchmarkIssuePairJWT(b *testing.B) { benchIssuePair(b, benchJWT) }

func benchIssuePair(b *testing.B, mod ...func(*Config)) {
	iss := benchIssuer(b, bcrypt.MinCost, mod...)
	iss.refresh = discardRefresh{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.IssuePair(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssuePairMemoryStore(b *testing.B) {
	iss := benchIssuer(b, bcrypt.MinCost)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.IssuePair(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorSignAndGenerate is IssuePair's floor: one raw golang-jwt
// HS256 signing of the same claims plus one refresh-token generation.
func BenchmarkFloorSignAndGenerate(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_ = rawSign(b, now)
		_, _ = newRefreshToken("AAAAAAAAAAAAAAAAAAAAAA")
	}
}

func BenchmarkRefresh(b *testing.B) { benchRefresh(b) }

func BenchmarkRefreshJWT(b *testing.B) { benchRefresh(b, benchJWT) }

func benchRefresh(b *testing.B, mod ...func(*Config)) {
	iss := benchIssuer(b, bcrypt.MinCost, mod...)
	ctx := context.Background()
	p, err := iss.IssuePair(ctx, benchSession)
	if err != nil {
		b.Fatal(err)
	}
	tok := p.RefreshToken
	ev := gatehouse.Event{ClientIP: netip.MustParseAddr("127.0.0.1")}
	b.ReportAllocs()
	for b.Loop() {
		next, _, err := iss.rotate(ctx, tok, ev.ClientIP, &ev, nil)
		if err != nil {
			b.Fatal(err)
		}
		tok = next.RefreshToken
	}
}

// BenchmarkFloorSignAndRotate is Refresh's floor: one raw golang-jwt HS256
// signing plus one MemoryRefresh.Rotate round trip.
func BenchmarkFloorSignAndRotate(b *testing.B) {
	m := benchRefreshStore()
	ctx := context.Background()
	now := time.Now()
	prev := RefreshRecord{Hash: hashRefreshToken("first"), FamilyID: "f", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := m.Create(ctx, Family{ID: "f", Session: benchSession}, prev); err != nil {
		b.Fatal(err)
	}
	// Records are prepared outside the timer in batches so the floor holds
	// only the signing and the store call.
	const batch = 1024
	recs := make([]RefreshRecord, batch)
	k := batch
	b.ReportAllocs()
	for b.Loop() {
		if k == batch {
			b.StopTimer()
			for n := range recs {
				_, h := newRefreshToken("f")
				recs[n] = RefreshRecord{Hash: h, FamilyID: "f", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			}
			k = 0
			b.StartTimer()
		}
		next := recs[k]
		k++
		_ = rawSign(b, now)
		if _, err := m.Rotate(ctx, prev.Hash, next); err != nil {
			b.Fatal(err)
		}
		prev = next
	}
}

func BenchmarkRefreshHandler(b *testing.B) { benchRefreshHandler(b) }

func BenchmarkRefreshHandlerJWT(b *testing.B) { benchRefreshHandler(b, benchJWT) }

func benchRefreshHandler(b *testing.B, mod ...func(*Config)) {
	iss := benchIssuer(b, bcrypt.MinCost, mod...)
	p, err := iss.IssuePair(context.Background(), benchSession)
	if err != nil {
		b.Fatal(err)
	}
	tok := p.RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/auth/refresh", strings.NewReader(`{"refresh_token":"`+tok+`"}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		iss.Refresh(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Body.String())
		}
		body := w.Body.String()
		i := strings.Index(body, `"refresh_token":"`) + len(`"refresh_token":"`)
		tok = body[i : i+strings.IndexByte(body[i:], '"')]
	}
}

// BenchmarkLogin is a successful login at bcrypt.DefaultCost (10), through
// the handler; BenchmarkFloorBcrypt is the one bcrypt check it contains.
func BenchmarkLogin(b *testing.B) {
	benchLogin(b, `{"username":"demo","password":"demo-password"}`, http.StatusOK)
}

func BenchmarkLoginJWT(b *testing.B) {
	benchLogin(b, `{"username":"demo","password":"demo-password"}`, http.StatusOK, benchJWT)
}

// BenchmarkLoginUnknownUser takes the dummy-hash path: it should cost the
// same as BenchmarkLogin's failure, i.e. one bcrypt check.
func BenchmarkLoginUnknownUser(b *testing.B) {
	benchLogin(b, `{"username":"nobody","password":"demo-password"}`, http.StatusUnauthorized)
}

// benchLogin posts body to the Login handler of a benchIssuer at
// bcrypt.DefaultCost in a loop and fails unless every answer is status want.
func benchLogin(b *testing.B, body string, want int, mod ...func(*Config)) {
	iss := benchIssuer(b, bcrypt.DefaultCost, mod...)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/auth/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		iss.Login(w, r)
		if w.Code != want {
			b.Fatal(w.Body.String())
		}
	}
}

func BenchmarkFloorBcrypt(b *testing.B) {
	hash, err := HashPassword("demo-password", bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte("demo-password")) != nil {
			b.Fatal("mismatch")
		}
	}
}
