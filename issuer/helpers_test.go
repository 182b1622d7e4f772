package issuer_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/storekit"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// testSecret is a 32-byte HS256 secret.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable test clock.
type clock = storekit.Clock

func newClock() *clock { return storekit.NewClock() }

// revocations is the real bearer.MemoryRevocations, recording what it
// was asked to revoke and until when: a jti under itself, a session under
// sessionKey(sid), a subject under "sub:" + subject. fail, when set, fails
// every call.
type revocations struct {
	*bearer.MemoryRevocations
	mu    sync.Mutex
	until map[string]time.Time
	fail  error
}

func newRevocations() *revocations {
	return &revocations{MemoryRevocations: bearer.NewMemoryRevocations(nil), until: map[string]time.Time{}}
}

// sessionKey is the key of a session revocation in revocations.until.
func sessionKey(sid string) string { return "sid:" + sid }

func (r *revocations) record(key string, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.until[key] = until
	return nil
}

func (r *revocations) RevokeToken(ctx context.Context, subject, jti string, until time.Time) error {
	if err := r.record(jti, until); err != nil {
		return err
	}
	return r.MemoryRevocations.RevokeToken(ctx, subject, jti, until)
}

func (r *revocations) RevokeSession(ctx context.Context, subject, sid string, until time.Time) error {
	if err := r.record(sessionKey(sid), until); err != nil {
		return err
	}
	return r.MemoryRevocations.RevokeSession(ctx, subject, sid, until)
}

func (r *revocations) RevokeSubject(ctx context.Context, subject string, notBefore, until time.Time) error {
	if err := r.record("sub:"+subject, until); err != nil {
		return err
	}
	return r.MemoryRevocations.RevokeSubject(ctx, subject, notBefore, until)
}

func (r *revocations) Revoked(ctx context.Context, t *bearer.TokenRef) (bool, error) {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		return false, fail
	}
	return r.MemoryRevocations.Revoked(ctx, t)
}

// IsRevoked reports whether the jti was revoked.
func (r *revocations) IsRevoked(_ context.Context, jti string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.until[jti]
	return ok, nil
}

// throttle is the tests' Throttle (storekit.Throttle).
type throttle = storekit.Throttle

func newThrottle(limit int) *throttle { return storekit.NewThrottle(limit) }

// failingCredentials is a CredentialStore that is down.
type failingCredentials struct{}

func (failingCredentials) LookupAccount(context.Context, string) (issuer.Account, error) {
	return issuer.Account{}, errors.New("db: connection refused to 10.0.0.7")
}

func (failingCredentials) LookupSubject(context.Context, string) (issuer.Account, error) {
	return issuer.Account{}, errors.New("db: connection refused to 10.0.0.7")
}

// events collects audit events.
type events = storekit.Events

// fixture is an issuer with real in-memory stores and the real ipallow
// per-account allowlist, and handles on everything a test inspects.
type fixture struct {
	iss      *issuer.Issuer
	clock    *clock
	revoked  *revocations
	throttle *throttle
	lists    *ipallow.MemoryLists
	refresh  *issuer.MemoryRefresh
	audit    *events
	mux      *http.ServeMux
}

const (
	demoPassword    = "demo-password"
	partnerPassword = "partner-password"
)

var demoHash, partnerHash = mustHash(demoPassword), mustHash(partnerPassword)

func mustHash(pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}

func newFixture(t testing.TB, mod ...func(*issuer.Config)) *fixture {
	t.Helper()
	creds, err := issuer.NewMemoryCredentials(
		issuer.Account{Username: "demo", PasswordHash: demoHash, Tenant: "123456", ClientID: "123456", Scopes: []string{"products:read", "categories:read"}},
		issuer.Account{Username: "partner", PasswordHash: partnerHash, Tenant: "654321", ClientID: "654321"},
	)
	require.NoError(t, err)
	f := &fixture{
		clock:    newClock(),
		revoked:  newRevocations(),
		throttle: newThrottle(5),
		lists:    ipallow.NewMemoryLists(),
		refresh:  mustMemoryRefresh(issuer.MemoryRefreshConfig{}),
		audit:    &events{},
	}
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: f.lists})
	require.NoError(t, err)
	require.NoError(t, f.lists.Set(context.Background(), "123456", []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}))
	cfg := issuer.Config{
		Issuer:      "https://rewards.example",
		Audiences:   []string{"rewardstore-api"},
		Key:         issuer.SigningKey{Key: testSecret},
		Refresh:     f.refresh,
		Credentials: creds,
		Revocations: f.revoked,
		Accounts:    pp,
		Throttle:    f.throttle,
		BcryptCost:  bcrypt.MinCost,
		Audit:       f.audit,
		Now:         f.clock.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	f.iss, err = issuer.New(cfg)
	require.NoError(t, err)
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /auth/login", f.iss.Login)
	f.mux.HandleFunc("POST /auth/refresh", f.iss.Refresh)
	f.mux.HandleFunc("POST /auth/logout", f.iss.Logout)
	return f
}

// do sends a request from remote (an IP) and returns the recorder.
func (f *fixture) do(method, path, remote, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = remote + ":40000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		r.Header.Set(hdr[k], hdr[k+1])
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *fixture) login(t testing.TB, remote, user, pw string) pairBody {
	t.Helper()
	w := f.do("POST", "/auth/login", remote, `{"username":"`+user+`","password":"`+pw+`"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return decodePair(t, w)
}

func (f *fixture) refreshWith(remote, token string) *httptest.ResponseRecorder {
	return f.do("POST", "/auth/refresh", remote, `{"refresh_token":"`+token+`"}`)
}

// pairBody is seed 000's success body.
type pairBody struct {
	Success bool `json:"success"`
	Data    struct {
		AccessToken      string          `json:"access_token"`
		RefreshToken     string          `json:"refresh_token"`
		AccessExpiresAt  string          `json:"access_expires_at"`
		RefreshExpiresAt string          `json:"refresh_expires_at"`
		ClientID         json.RawMessage `json:"client_id"`
	} `json:"data"`
}

func decodePair(t testing.TB, w *httptest.ResponseRecorder) pairBody {
	t.Helper()
	var p pairBody
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	require.True(t, p.Success)
	return p
}

// errorBody returns the nested error of a response.
func errorBody(t testing.TB, w *httptest.ResponseRecorder) (name, code, message string) {
	t.Helper()
	var b struct {
		Error struct{ Name, Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b), w.Body.String())
	return b.Error.Name, b.Error.Code, b.Error.Message
}

// verificationKey returns the key id, algorithm and verification key of
// iss's access tokens, as its BearerConfig carries them.
func verificationKey(iss *issuer.Issuer) (kid, alg string, key any) {
	k := iss.BearerConfig(nil).Issuers[0].Keys[0]
	return k.ID, k.Algorithm, k.Key
}

// mustMemoryRefresh returns a new MemoryRefresh configured by cfg.
func mustMemoryRefresh(cfg issuer.MemoryRefreshConfig) *issuer.MemoryRefresh {
	m, err := issuer.NewMemoryRefresh(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

// hashToken is the SHA-256 of a refresh token, the key a RefreshStore
// files it under.
func hashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }
