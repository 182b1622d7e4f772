package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve/tlstest"
	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpDocumentsConfiguration(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-help"}, func(string) string { return "" }, &out, &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"-addr", "127.0.0.1:8080", "JWT_SECRET", "DEMO_USERNAME", "DEMO_PASSWORD", "DEMO_CLIENT_ID",
		"DEMO_ALLOWED_IPS", "TRUSTED_PROXIES", "ACCESS_TTL", "REFRESH_TTL", "partner-password", "654321"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestBadEnvironmentFails(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), nil, func(k string) string { return map[string]string{"ACCESS_TTL": "forever"}[k] }, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ACCESS_TTL")
}

func TestBanner(t *testing.T) {
	cfg, err := server.FromEnv(func(k string) string { return map[string]string{"DEMO_ALLOWED_IPS": "127.0.0.2"}[k] })
	require.NoError(t, err)
	var out bytes.Buffer
	printBanner(&out, "http://127.0.0.1:8080", "curl", cfg, "memory (this instance only)", true)
	s := out.String()
	assert.Contains(t, s, "demo-password")
	assert.Contains(t, s, "127.0.0.2")
	assert.Contains(t, s, "random secret")
	assert.Contains(t, s, "state    memory (this instance only)")
	assert.Contains(t, s, `ACCESS_TOKEN=$(curl -s -X POST http://127.0.0.1:8080/auth/login -H "Content-Type: application/json" -d '{"username":"demo","password":"demo-password"}' | jq -r .data.access_token)   # → 200`)
	assert.Contains(t, s, `curl http://127.0.0.1:8080/api/v1/products -H "Authorization: Bearer $ACCESS_TOKEN"   # → 200`)
	assert.Equal(t, 1, strings.Count(s, "listening on"))
}

// TestCommandServesHTTPS runs the command with -tls-cert and -tls-key, as
// seed 001 asks ("Always use HTTPS", curl --tlsv1.2): the seed's login
// works over TLS 1.2 or higher, TLS 1.1 is refused.
func TestCommandServesHTTPS(t *testing.T) {
	cert := tlstest.SelfSigned(t, "127.0.0.1")
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile},
			func(string) string { return "" }, stdout, stderr)
	})
	base := cmd.Base
	require.True(t, strings.HasPrefix(base, "https://"), base)

	login := func(c *http.Client) (*http.Response, error) {
		return c.Post(base+"/auth/login", "application/json", strings.NewReader(`{"username":"demo","password":"demo-password"}`))
	}
	res, err := login(cert.Client(t, tls.VersionTLS12, 0))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.GreaterOrEqual(t, res.TLS.Version, uint16(tls.VersionTLS12))

	_, err = login(cert.Client(t, tls.VersionTLS10, tls.VersionTLS11))
	require.Error(t, err, "TLS 1.1 is refused")

	var stderr bytes.Buffer
	err = run(context.Background(), []string{"-tls-cert", cert.CertFile}, func(string) string { return "" }, io.Discard, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-tls-cert and -tls-key go together")
}
