package server_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

const (
	// seedKey is the key of seed 003's example request, imported as the
	// tenant's Supplier API key.
	seedKey    = "ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d"
	paymentKey = "ak_live_5e2d7c9a1b3f4e6d8c0a2b4c6d8e0f1a"
	jwtSecret  = "platform-test-secret-0123456789abcdef"

	resellerUser, resellerPass = "partner", "partner-pass"
	customerUser, customerPass = "jane@acme.example", "customer-pass"
)

// testClock is a settable clock shared by the server and the tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// recorder collects audit events.
type recorder struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

func (r *recorder) Audit(_ context.Context, ev gatehouse.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%+v", r.events)
}

type platform struct {
	url   string
	addr  string
	clock *testClock
	srv   *server.Server
	audit *recorder
}

func testConfig() server.Config {
	return server.Config{
		JWTSecret:   []byte(jwtSecret),
		Reseller:    server.Account{Username: resellerUser, Password: resellerPass},
		Customer:    server.Account{Username: customerUser, Password: customerPass},
		SupplierKey: seedKey, PaymentKey: paymentKey,
		BcryptCost: bcrypt.MinCost,
	}
}

// newPlatform serves the platform on a real loopback listener.
func newPlatform(t *testing.T, edit ...func(*server.Config)) *platform {
	t.Helper()
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	audit := &recorder{}
	cfg := testConfig()
	cfg.Now, cfg.Audit = clock.Now, audit
	for _, e := range edit {
		e(&cfg)
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	require.True(t, strings.HasPrefix(ts.URL, "http://127.0.0.1:"))
	return &platform{url: ts.URL, addr: ts.Listener.Addr().String(), clock: clock, srv: srv, audit: audit}
}

type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

// do sends a request; hdr lists header name/value pairs, added in order
// (a name given twice sends two lines). A non-empty body is sent as JSON.
func (p *platform) do(t *testing.T, method, path, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Add(hdr[k], hdr[k+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// raw sends request bytes exactly as written (header names in their own
// case) and reads the response.
func (p *platform) raw(t *testing.T, request string) response {
	t.Helper()
	conn, err := net.Dial("tcp", p.addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, strings.ReplaceAll(request, "\n", "\r\n"))
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// login returns an access token (and the whole answer) from a login route.
func (p *platform) login(t *testing.T, path, user, pass string) (string, map[string]any) {
	t.Helper()
	res := p.do(t, "POST", path, fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass))
	require.Equal(t, http.StatusOK, res.status, res.body)
	data := res.json(t)["data"].(map[string]any)
	return data["access_token"].(string), data
}

func (p *platform) resellerToken(t *testing.T) string {
	tok, _ := p.login(t, "/Token/Generate", resellerUser, resellerPass)
	return tok
}

func (p *platform) storefrontToken(t *testing.T) string {
	tok, _ := p.login(t, "/Storefront/Login", customerUser, customerPass)
	return tok
}

// assertError checks status and the numeric body {"code":N,"message":"…"}
// with exactly those two members.
func assertError(t *testing.T, res response, status, code int) {
	t.Helper()
	assert.Equal(t, status, res.status, res.body)
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.body), &body), res.body)
	assert.Len(t, body, 2, res.body)
	assert.EqualValues(t, code, body["code"], res.body)
	assert.NotEmpty(t, body["message"], res.body)
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
}

// claims decodes a JWT's header and payload without verifying it.
func claims(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, dst))
	}
	return header, payload
}
