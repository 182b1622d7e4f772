package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The black-box probes of issue 14 against the scopedstore command as it
// runs, over loopback, with its tokens from a TOKENS_FILE.

const (
	bbAdmin    = "sst_blackbox_admin_token_never_expires_0001"
	bbExpiring = "sst_blackbox_admin_token_expiring_soon_0002"
	bbReader   = "sst_blackbox_reader_token_0003"
)

type bbResult struct {
	status int
	header http.Header
	body   string
}

// bbCommand is the running command's base URL.
type bbCommand struct{ Base string }

// bbStart runs the command on a loopback port until the test ends (its
// banner prints a bare address, so it signals readiness on run's ready
// channel, as main_test.go's tests wait for it).
func bbStart(t *testing.T, expiring time.Time) *bbCommand {
	t.Helper()
	file := filepath.Join(t.TempDir(), "tokens.json")
	all := []string{"settings:read", "settings:write", "products:read"}
	specs := []map[string]any{
		{"token": bbAdmin, "store": "acme", "scopes": all},
		{"token": bbExpiring, "store": "acme", "scopes": all, "expires_at": expiring.UTC().Format(time.RFC3339)},
		{"token": bbReader, "store": "acme", "scopes": []string{"products:read"}},
	}
	b, err := json.Marshal(specs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, b, 0o600))
	vars := map[string]string{"TOKENS_FILE": file, "RATE_LIMIT": "10000"}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return vars[k] }, io.Discard, io.Discard, ready)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("the command did not stop within 10s")
		}
	})
	select {
	case addr := <-ready:
		return &bbCommand{Base: "http://" + addr}
	case err := <-done:
		t.Fatalf("the command ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not listen within 10s")
	}
	return nil
}

func bbDo(t *testing.T, method, u, token string, h http.Header, body string) bbResult {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.Host = "acme.localhost"
	for k, v := range h {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return bbResult{res.StatusCode, res.Header, string(b)}
}

// bbMint creates a token with body and returns its status, token and
// expires_at (nil: never).
func bbMint(t *testing.T, base, with, body string) (int, string, *time.Time, string) {
	t.Helper()
	res := bbDo(t, "POST", base+server.BasePath+"/tokens", with, nil, body)
	if res.status != 201 {
		return res.status, "", nil, res.body
	}
	var v struct {
		Data struct {
			Token     string     `json:"token"`
			ExpiresAt *time.Time `json:"expires_at"`
		} `json:"data"`
		Token     string     `json:"token"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &v), res.body)
	if v.Data.Token != "" {
		return res.status, v.Data.Token, v.Data.ExpiresAt, res.body
	}
	require.NotEmpty(t, v.Token, res.body)
	return res.status, v.Token, v.ExpiresAt, res.body
}

// Item 12: a token minted by an expiring token never outlives it, by any
// spelling of expires_at or chain of mints, and dies with it; a token
// that never expires may mint one that never expires.
func TestBlackboxMintedTokensDieWithTheirMinter(t *testing.T) {
	end := time.Now().Add(4 * time.Second).Truncate(time.Second)
	cmd := bbStart(t, end)
	base := cmd.Base
	st, minted, exp, body := bbMint(t, base, bbExpiring, `{"name":"m1","scopes":["settings:write","products:read"]}`)
	require.Equal(t, 201, st, body)
	require.NotNil(t, exp, "a minted token of an expiring minter expires: %s", body)
	assert.False(t, exp.After(end), "%v after %v", exp, end)

	st, _, exp2, body := bbMint(t, base, bbExpiring, `{"name":"m-null","scopes":["products:read"],"expires_at":null}`)
	if st == 201 {
		require.NotNil(t, exp2, "expires_at null: %s", body)
		assert.False(t, exp2.After(end))
	} else {
		assert.Equal(t, 400, st, body)
	}
	for _, later := range []string{
		end.Add(time.Second).UTC().Format(time.RFC3339),
		end.Add(500 * time.Millisecond).UTC().Format(time.RFC3339Nano),
		end.Add(time.Hour).In(time.FixedZone("", -5*3600)).Format(time.RFC3339),
		end.Add(time.Second).In(time.FixedZone("", 14*3600)).Format(time.RFC3339),
		"9999-12-31T23:59:59Z",
		"2262-04-12T00:00:00Z",
	} {
		st, _, _, body := bbMint(t, base, bbExpiring, `{"name":"m2","scopes":["products:read"],"expires_at":"`+later+`"}`)
		assert.Equal(t, 400, st, "expires_at %s: %s", later, body)
	}
	// The same instant in another zone is not later.
	st, _, _, body = bbMint(t, base, bbExpiring, `{"name":"m3","scopes":["products:read"],"expires_at":"`+end.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)+`"}`)
	assert.Equal(t, 201, st, body)
	// A chain: the minted token mints in turn.
	st, grand, exp3, body := bbMint(t, base, minted, `{"name":"m4","scopes":["products:read"]}`)
	require.Equal(t, 201, st, body)
	require.NotNil(t, exp3)
	assert.False(t, exp3.After(end))
	st, _, _, body = bbMint(t, base, minted, `{"name":"m5","scopes":["products:read"],"expires_at":"9999-12-31T23:59:59Z"}`)
	assert.Equal(t, 400, st, body)
	// A never-expiring minter's token may never expire.
	st, forever, exp4, body := bbMint(t, base, bbAdmin, `{"name":"m6","scopes":["products:read"]}`)
	require.Equal(t, 201, st, body)
	assert.Nil(t, exp4, body)

	products := server.BasePath + "/products"
	assert.Equal(t, 200, bbDo(t, "GET", base+products, grand, nil, "").status)
	time.Sleep(time.Until(end) + 1100*time.Millisecond)
	for name, tok := range map[string]string{"minter": bbExpiring, "minted": minted, "minted by the minted": grand} {
		res := bbDo(t, "GET", base+products, tok, nil, "")
		assert.Equal(t, 401, res.status, "%s after the minter's expiry: %s", name, res.body)
	}
	assert.Equal(t, 200, bbDo(t, "GET", base+products, forever, nil, "").status)
}

// Items 2, 7 and 8: every 401 carries a Bearer challenge (without an
// error code when no token was sent), and a token both in the header and
// the query is 400.
func TestBlackboxChallengesAndTokenMethods(t *testing.T) {
	cmd := bbStart(t, time.Now().Add(time.Hour))
	n := 0
	for _, rt := range server.Routes() {
		path := cmd.Base + server.BasePath + strings.ReplaceAll(rt.Path, "{id}", "x")
		for name, auth := range map[string]string{
			"none": "", "garbage": "Bearer sst_garbage_garbage_garbage", "empty bearer": "Bearer", "spaces bearer": "Bearer   ",
			"lower bearer": "bearer", "basic": "Basic YTpi",
		} {
			h := http.Header{}
			if auth != "" {
				h.Set("Authorization", auth)
			}
			res := bbDo(t, rt.Method, path, "", h, "")
			if !assert.Equal(t, 401, res.status, "%s %s with %s: %s", rt.Method, rt.Path, name, res.body) {
				continue
			}
			n++
			ch := res.header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(ch, "Bearer"), "%s %s with %s: %q", rt.Method, rt.Path, name, ch)
			if name == "none" || strings.Contains(name, "bearer") {
				assert.NotContains(t, ch, "error=", "%s %s with %s", rt.Method, rt.Path, name)
			}
			assert.JSONEq(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, res.body)
		}
	}
	assert.Greater(t, n, 100)
	for _, q := range []string{"access_token=" + url.QueryEscape(bbReader), "access_token=x", "access_token="} {
		res := bbDo(t, "GET", cmd.Base+server.BasePath+"/products?"+q, bbReader, nil, "")
		assert.Equal(t, 400, res.status, "?%s: %s", q, res.body)
		assert.NotContains(t, res.body, bbReader)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}}
	res := bbDo(t, "DELETE", cmd.Base+server.BasePath+"/tokens/x", bbAdmin, h, "access_token="+url.QueryEscape(bbAdmin))
	assert.Equal(t, 400, res.status, res.body)
	assert.Equal(t, 200, bbDo(t, "GET", cmd.Base+server.BasePath+"/products", bbReader, nil, "").status)
}
