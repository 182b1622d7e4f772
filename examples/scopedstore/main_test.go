package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve/tlstest"
	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestHelpDocumentsConfiguration(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-help"}, env(nil), &out, &out, nil)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"-addr", `"127.0.0.1:8080"`, "TOKENS_FILE", `{"token":`, `"store":"acme"`, `"scopes":`,
		"-tls-cert", "-tls-key", "TLS 1.2", "RATE_LIMIT", "(default 60)", `"expires_at":"2026-12-31T23:59:59Z"`, "RFC 3339", "Retry-After", "/api/external/v1", "Host: acme.localhost", "acme.localhost:8080"} {
		assert.Contains(t, out.String(), want)
	}
	for _, r := range server.Routes() {
		assert.Regexp(t, regexp.QuoteMeta(r.Method)+` +`+regexp.QuoteMeta(server.BasePath+r.Path)+` +`+regexp.QuoteMeta(r.Scope)+"\n", out.String())
	}
}

func TestBadConfigurationFailsAtStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tokens.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[{"token":"sst_top_secret_token_value","store":"acme","scopes":["products:read","orders:destroy"]}]`), 0o600))
	notJSON := filepath.Join(dir, "tokens.txt")
	require.NoError(t, os.WriteFile(notJSON, []byte("sst_top_secret_token_value\n"), 0o600))
	for name, c := range map[string]struct {
		vars map[string]string
		want string
	}{
		"unknown scope": {map[string]string{"TOKENS_FILE": bad}, `TOKENS_FILE ` + bad + `: entry 1: unknown scope "orders:destroy"`},
		"not JSON":      {map[string]string{"TOKENS_FILE": notJSON}, `TOKENS_FILE ` + notJSON + `: want a JSON list of {"token","store","scopes"}`},
		"missing file":  {map[string]string{"TOKENS_FILE": filepath.Join(dir, "none.json")}, "TOKENS_FILE: open "},
		"bad rate":      {map[string]string{"RATE_LIMIT": "-5"}, "RATE_LIMIT must be a positive number of requests per minute"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			ready := make(chan string, 1)
			err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, env(c.vars), &out, &out, ready)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "sst_top_secret")
			assert.Empty(t, ready, "never listened")
			assert.Empty(t, out.String())
		})
	}
	t.Run("unexpected argument", func(t *testing.T) {
		err := run(context.Background(), []string{"serve"}, env(nil), io.Discard, io.Discard, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unexpected argument "serve"`)
	})
}

// TestCommandServesDemoTokens runs the command in-process on a loopback
// port and follows its banner's instructions.
func TestCommandServesDemoTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr cmdtest.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, env(map[string]string{"RATE_LIMIT": "100"}), &stdout, &stderr, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	banner := stdout.String()
	assert.Contains(t, banner, "scopedstore listening on "+addr)
	assert.Contains(t, banner, "stores: acme, globex")
	assert.Contains(t, banner, "rate limit: 100 requests per minute per token")
	tokens := regexp.MustCompile(`sst_[A-Za-z0-9_-]{43}`).FindAllString(banner, -1)
	require.GreaterOrEqual(t, len(tokens), 3)
	full, readOnly, other := tokens[0], tokens[1], tokens[2]
	assert.Contains(t, banner, "-H 'Host: acme.localhost:")
	assert.Contains(t, banner, "export TOKEN="+full+" READONLY_TOKEN="+readOnly+" GLOBEX_TOKEN="+other+"\n")
	assert.Contains(t, banner, `-H "Authorization: Bearer $TOKEN" http://`+addr+"/api/external/v1/products")
	assert.Contains(t, banner, "/orders/ord_1006/fulfill")

	get := func(method, path, tok string) (int, string) {
		req, err := http.NewRequest(method, "http://"+addr+server.BasePath+path, nil)
		require.NoError(t, err)
		req.Host = "acme.localhost"
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, _ := get("GET", "/products", full)
	assert.Equal(t, 200, status)
	status, body := get("POST", "/orders/ord_1006/fulfill", readOnly)
	assert.Equal(t, 403, status)
	assert.Equal(t, `{"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}`, body)
	status, body = get("GET", "/products", other)
	assert.Equal(t, `{"success":false,"error":"Forbidden","message":"Insufficient permissions"}`, body)
	assert.Equal(t, 403, status)
	status, body = get("GET", "/products", "")
	assert.Equal(t, 401, status)
	assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, body)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
	// The audit log names token ids, never tokens.
	log := stderr.String()
	assert.Contains(t, log, "reason=insufficient_scope")
	assert.Contains(t, log, "reason=foreign_store")
	for _, tok := range tokens {
		assert.NotContains(t, log, tok)
	}
}

func TestBannerForTokensFileHidesTokens(t *testing.T) {
	cfg := server.Config{Tokens: []server.TokenSpec{{Token: "sst_file_token_value_123", Store: "initech", Scopes: []string{"products:read"}}}}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	var out bytes.Buffer
	printBanner(&out, "127.0.0.1:8080", "", cfg, srv, false)
	assert.Contains(t, out.String(), "TOKENS_FILE: 1 token(s) loaded, kept hashed")
	assert.Contains(t, out.String(), "initech.localhost:8080")
	assert.Contains(t, out.String(), "60 requests per minute")
	assert.NotContains(t, out.String(), "sst_file_token_value_123")
	assert.Equal(t, 1, strings.Count(out.String(), "listening on"))
}

func TestReadmeListsEveryRoute(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, r := range server.Routes() {
		assert.Contains(t, string(readme), "| `"+r.Method+"` | `"+r.Path+"` | `"+r.Scope+"` |")
	}
	for _, s := range server.Scopes() {
		assert.Contains(t, string(readme), "| `"+s.Name+"` | "+s.Description+" |")
	}
}

// TestCommandExpiredToken runs the command with a TOKENS_FILE holding an
// expired and a not yet expired token: seed 004's 401 for the first, 200
// for the second.
func TestCommandExpiredToken(t *testing.T) {
	const expired, valid = "sst_file_expired_token_0001", "sst_file_valid_token_00001"
	file := filepath.Join(t.TempDir(), "tokens.json")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	require.NoError(t, os.WriteFile(file, []byte(`[
		{"token":"`+expired+`","store":"acme","scopes":["products:read"],"expires_at":"2020-01-01T00:00:00Z"},
		{"token":"`+valid+`","store":"acme","scopes":["products:read"],"expires_at":"`+future+`"}]`), 0o600))
	addr, stdout, stop := startCommand(t, nil, map[string]string{"TOKENS_FILE": file})
	assert.Contains(t, stdout.String(), "TOKENS_FILE: 2 token(s) loaded, kept hashed; 1 already expired (answered 401)")

	get := func(tok string) (int, string) {
		req, err := http.NewRequest("GET", "http://"+addr+server.BasePath+"/products", nil)
		require.NoError(t, err)
		req.Host = "acme.localhost"
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get(expired)
	assert.Equal(t, 401, status)
	assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, body)
	status, _ = get(valid)
	assert.Equal(t, 200, status)
	stop()
}

// startCommand runs the command in-process on a loopback port with args
// (after -addr 127.0.0.1:0) and the environment vars. It returns the
// address, the stdout buffer, and stop, which shuts the command down and
// checks it stopped cleanly (also run at cleanup).
func startCommand(t *testing.T, args []string, vars map[string]string) (addr string, stdout *cmdtest.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &cmdtest.Buffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), env(vars), stdout, io.Discard, ready)
	}()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("not ready")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Error("no shutdown")
			}
		})
	}
	t.Cleanup(stop)
	return addr, stdout, stop
}

// TestCommandNoStoreHintNamesItsPort: on a port other than 8080, the 404 for
// a Host naming no store points to that port.
func TestCommandNoStoreHintNamesItsPort(t *testing.T) {
	addr, _, _ := startCommand(t, nil, nil)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	res, err := http.Get("http://" + addr + server.BasePath + "/products")
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	assert.Equal(t, 404, res.StatusCode)
	assert.Equal(t, `{"success":false,"error":"Not Found","message":"Store not found: send requests to a store host such as acme.localhost:`+port+`"}`, string(b))
}

// TestCommandServesHTTPS runs the command with -tls-cert and -tls-key over a
// self-signed certificate and calls it with an HTTPS client that trusts only
// that certificate: TLS 1.2 or higher is negotiated, TLS 1.1 is refused, and
// plain HTTP is not served.
func TestCommandServesHTTPS(t *testing.T) {
	cert := tlstest.SelfSigned(t, "127.0.0.1", "acme.localhost")
	addr, stdout, stop := startCommand(t, []string{"-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile}, nil)
	banner := stdout.String()
	assert.Contains(t, banner, "scopedstore listening on "+addr+" (HTTPS, TLS 1.2 or higher)")
	full := regexp.MustCompile(`sst_[A-Za-z0-9_-]{43}`).FindString(banner)
	require.NotEmpty(t, full)
	assert.Contains(t, banner, "curl --cacert "+cert.CertFile+" --tlsv1.2 -H 'Host: acme.localhost:")
	assert.Contains(t, banner, "export TOKEN="+full+" ")
	assert.Contains(t, banner, `-H "Authorization: Bearer $TOKEN" https://`+addr+"/api/external/v1/products")

	get := func(c *http.Client, url, tok string) (*http.Response, string, error) {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		req.Host = "acme.localhost"
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, string(b), err
	}
	url := "https://" + addr + server.BasePath + "/products"

	res, _, err := get(cert.Client(t, 0, 0), url, full)
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	require.NotNil(t, res.TLS)
	assert.GreaterOrEqual(t, res.TLS.Version, uint16(tls.VersionTLS12))

	res, body, err := get(cert.Client(t, tls.VersionTLS12, tls.VersionTLS12), url, "")
	require.NoError(t, err)
	assert.Equal(t, uint16(tls.VersionTLS12), res.TLS.Version)
	assert.Equal(t, 401, res.StatusCode)
	assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, body)

	_, _, err = get(cert.Client(t, tls.VersionTLS10, tls.VersionTLS11), url, full)
	require.Error(t, err, "TLS 1.1 is refused")
	assert.Contains(t, err.Error(), "protocol version not supported")

	res, _, err = get(http.DefaultClient, "http://"+addr+server.BasePath+"/products", full)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "plain HTTP is not served")
	stop()
}

func TestTLSFlagsFailAtStart(t *testing.T) {
	cert := tlstest.SelfSigned(t)
	missing := filepath.Join(t.TempDir(), "none.pem")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"cert without key": {[]string{"-tls-cert", cert.CertFile}, "-tls-cert and -tls-key go together: give both or neither"},
		"key without cert": {[]string{"-tls-key", cert.KeyFile}, "-tls-cert and -tls-key go together: give both or neither"},
		"missing cert":     {[]string{"-tls-cert", missing, "-tls-key", cert.KeyFile}, "TLS certificate " + missing},
		"cert as key":      {[]string{"-tls-cert", cert.CertFile, "-tls-key", cert.CertFile}, "TLS certificate " + cert.CertFile},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			ready := make(chan string, 1)
			err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, c.args...), env(nil), &out, &out, ready)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, ready, "never listened")
			assert.Empty(t, out.String())
		})
	}
}
