package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/require"
)

// Ids of the sample data: stores are seeded in name order, acme first.
const (
	acmeProduct   = "prod_1001"
	acmeCustomer  = "cus_1004"
	acmePaidOrder = "ord_1006"
	acmeWebhook   = "wh_1009"

	globexProduct   = "prod_1010"
	globexCustomer  = "cus_1013"
	globexPaidOrder = "ord_1015"
	globexWebhook   = "wh_1018"
)

// Seed 004's error bodies, byte for byte.
const (
	body401     = `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`
	body403Perm = `{"success":false,"error":"Forbidden","message":"Insufficient permissions"}`
)

func body403Scope(scope string) string {
	return `{"success":false,"error":"Forbidden","message":"Token does not have the required scope: ` + scope + `"}`
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Tokens of the standard test configuration.
var (
	acmeAll      = token("acme-all")
	acmeReadOnly = token("acme-read")
	globexAll    = token("globex-all")
)

// token returns a deterministic test token for name.
func token(name string) string { return "sst_test_" + name + "_0123456789abcdef" }

type env struct {
	t     *testing.T
	srv   *httptest.Server
	app   *server.Server
	clock *clock
}

// standardTokens are the demo layout with known plaintexts.
func standardTokens() []server.TokenSpec {
	return []server.TokenSpec{
		{Token: acmeAll, Store: "acme", Scopes: server.ScopeNames()},
		{Token: acmeReadOnly, Store: "acme", Scopes: server.ReadOnlyScopes()},
		{Token: globexAll, Store: "globex", Scopes: server.ScopeNames()},
	}
}

// start runs the scoped store on a real loopback listener with a test
// clock. cfg.Tokens nil selects standardTokens.
func start(t *testing.T, cfg server.Config) *env {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = standardTokens()
	}
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg.Now = clk.Now
	app, err := server.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(app) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return &env{t: t, srv: ts, app: app, clock: clk}
}

type response struct {
	status int
	header http.Header
	body   string
}

// data decodes the success wrapper's data into v.
func (r response) data(t *testing.T, v any) {
	t.Helper()
	var w struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &w), r.body)
	require.True(t, w.Success, r.body)
	require.NoError(t, json.Unmarshal(w.Data, v))
}

// call sends method path (under BasePath) to store's host with tok as the
// bearer token ("" sends none) and body as JSON ("" sends none).
func (e *env) call(store, tok, method, path, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+server.BasePath+path, rd)
	require.NoError(e.t, err)
	req.Host = store + ".localhost"
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// without returns every scope but s.
func without(s string) []string {
	return slices.DeleteFunc(server.ScopeNames(), func(x string) bool { return x == s })
}
