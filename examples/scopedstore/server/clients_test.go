package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The client snippets of seed 004 (testdata/client.{php,js,py}, verbatim)
// call https://yourstore.pixlpay.net/api/external/v1. Pointed at this server
// their base URL is http://acme.localhost:PORT/api/external/v1.

const seedBaseURL = "https://yourstore.pixlpay.net/api/external/v1"

// errAuthFailed is what every snippet raises on a 401.
//
//lint:ignore ST1005 the snippets' own message, capitalised as in seed 004
var errAuthFailed = errors.New("Authentication failed")

// getProducts does what the three snippets do, in Go: GET {base}/products
// with the bearer token and Accept: application/json; a 401 becomes
// "Authentication failed", anything else is decoded as JSON.
func getProducts(c *http.Client, base, token string) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/products", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusUnauthorized {
		return nil, errAuthFailed
	}
	var data map[string]any
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil {
		return nil, err
	}
	return data, nil
}

// storeClient returns an HTTP client that reaches e's listener for any host
// name, as *.localhost resolving to loopback would, and the snippets' base
// URL for store on it.
func (e *env) storeClient(store string) (*http.Client, string) {
	addr := e.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, "http://" + store + ".localhost:" + port + server.BasePath
}

func TestClientSnippetsInGo(t *testing.T) {
	e := start(t, server.Config{})
	c, base := e.storeClient("acme")
	assert.Equal(t, "http://acme.localhost:", base[:len("http://acme.localhost:")])

	t.Run("valid token", func(t *testing.T) {
		data, err := getProducts(c, base, acmeAll)
		require.NoError(t, err)
		assert.Equal(t, true, data["success"])
		assert.Len(t, data["data"], 3)
	})
	for name, tok := range map[string]string{"typo": acmeAll[:len(acmeAll)-1], "missing": "", "revoked": ""} {
		t.Run(name+" token: Authentication failed", func(t *testing.T) {
			if name == "revoked" {
				var nt server.NewTokenResponse
				e.call("acme", acmeAll, "POST", "/tokens", `{"scopes":["products:read"]}`).data(t, &nt)
				e.call("acme", acmeAll, "DELETE", "/tokens/"+nt.ID, "")
				tok = nt.Token
			}
			_, err := getProducts(c, base, tok)
			assert.Equal(t, errAuthFailed, err)
		})
	}
	t.Run("another store's token is 403, not an authentication failure", func(t *testing.T) {
		data, err := getProducts(c, base, globexAll)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"success": false, "error": "Forbidden", "message": "Insufficient permissions"}, data)
	})
}

// runSnippet runs a seed snippet with interpreter when it is installed,
// its base URL pointed at the server through an HTTP proxy setting (the
// server answers absolute-form requests), so that acme.localhost need not
// resolve. It returns the combined output.
func runSnippet(t *testing.T, e *env, file, driver, token string, interp ...string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(e.srv.Listener.Addr().String())
	base := "http://acme.localhost:" + port + server.BasePath
	require.Contains(t, string(src), seedBaseURL)
	script := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(script, []byte(strings.ReplaceAll(string(src), seedBaseURL, base)+driver), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, interp[0], append(interp[1:], script)...)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "PIXLPAY_API_TOKEN="+token,
		"HTTP_PROXY="+e.srv.URL, "http_proxy="+e.srv.URL, "NO_PROXY=", "no_proxy=")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func requireTool(t *testing.T, name string, probe ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	if len(probe) > 0 {
		if out, err := exec.Command(name, probe...).CombinedOutput(); err != nil {
			first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			t.Skipf("%s lacks what the snippet needs (%s): %s", name, strings.Join(probe, " "), first)
		}
	}
}

func TestPythonSnippet(t *testing.T) {
	requireTool(t, "python3", "-c", "import requests")
	e := start(t, server.Config{})
	driver := `
import json
try:
    print(json.dumps(PixlpayClient().get_products()))
except Exception as e:
    print("ERROR:", e)
`
	out := runSnippet(t, e, "client.py", driver, acmeAll, "python3")
	assert.Contains(t, out, `"success": true`)
	assert.Contains(t, out, acmeProduct)
	out = runSnippet(t, e, "client.py", driver, "sst_wrong_token_0123456789", "python3")
	assert.Equal(t, "ERROR: Authentication failed\n", out)
}

func TestNodeSnippet(t *testing.T) {
	requireTool(t, "node", "-e", "require('axios')")
	e := start(t, server.Config{})
	driver := `
getProducts().then((d) => console.log(JSON.stringify(d)), (e) => console.log('ERROR: ' + e.message));
`
	out := runSnippet(t, e, "client.js", driver, acmeAll, "node")
	assert.Contains(t, out, `"success":true`)
	out = runSnippet(t, e, "client.js", driver, "sst_wrong_token_0123456789", "node")
	assert.Equal(t, "ERROR: Authentication failed\n", out)
}

func TestPHPSnippet(t *testing.T) {
	requireTool(t, "php", "-r", "exit(function_exists('curl_init') ? 0 : 1);")
	e := start(t, server.Config{})
	driver := "\necho json_encode($data), \"\\n\";\n"
	out := runSnippet(t, e, "client.php", driver, acmeAll, "php")
	assert.Contains(t, out, `"success":true`)
	out = runSnippet(t, e, "client.php", driver, "sst_wrong_token_0123456789", "php")
	assert.Contains(t, out, "Authentication failed")
}
