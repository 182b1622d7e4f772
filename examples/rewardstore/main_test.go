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
	"golang.org/x/crypto/bcrypt"
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
	getenv := func(k string) string { return map[string]string{"DEMO_ALLOWED_IPS": "127.0.0.2"}[k] }
	cfg, err := server.FromEnv(getenv)
	require.NoError(t, err)
	var out bytes.Buffer
	printBanner(&out, "http://127.0.0.1:8080", "curl", cfg, "memory (this instance only)", true, getenv)
	s := out.String()
	assert.Contains(t, s, "account  demo       password demo-password ")
	assert.Contains(t, s, "account  partner    password partner-password ")
	assert.Contains(t, s, "127.0.0.2")
	assert.Contains(t, s, "random secret")
	assert.Contains(t, s, "state    memory (this instance only)")
	assert.Contains(t, s, `ACCESS_TOKEN=$(curl -s -X POST http://127.0.0.1:8080/auth/login -H "Content-Type: application/json" -d '{"username":"demo","password":"demo-password"}' | jq -r .data.access_token)   # → 200`)
	assert.Contains(t, s, `curl http://127.0.0.1:8080/api/v1/products -H "Authorization: Bearer $ACCESS_TOKEN"   # → 200`)
	assert.Equal(t, 1, strings.Count(s, "listening on"))
}

// operatorEnv is a configuration an operator deploying the reward store
// would give: their own signing secret, their own demo-account password,
// seed 001's rotated credentials and an IP whitelist.
var operatorEnv = map[string]string{
	"JWT_SECRET":        "operator-secret-operator-secret-0123456789",
	"DEMO_PASSWORD":     "Op3rator-Chosen-Password",
	"DEMO_NEW_USERNAME": "new_api_username",
	"DEMO_NEW_PASSWORD": "N3w-Secure-Rotated-Password",
	"DEMO_ALLOWED_IPS":  "127.0.0.2",
}

// TestBannerHidesPasswordsFromEnvironment: the banner prints a password
// only when it is the built-in public default; one set in the environment
// (DEMO_PASSWORD, DEMO_NEW_PASSWORD, PARTNER_PASSWORD) shows as set, and
// the curl line reads the demo password from the shell's $DEMO_PASSWORD.
func TestBannerHidesPasswordsFromEnvironment(t *testing.T) {
	env := map[string]string{"PARTNER_PASSWORD": "Partn3r-Chosen-Password"}
	for k, v := range operatorEnv {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := server.FromEnv(getenv)
	require.NoError(t, err)
	var out bytes.Buffer
	printBanner(&out, "http://127.0.0.1:8080", "curl", cfg, "memory (this instance only)", false, getenv)
	s := out.String()
	for _, k := range []string{"DEMO_PASSWORD", "DEMO_NEW_PASSWORD", "PARTNER_PASSWORD", "JWT_SECRET"} {
		assert.NotContains(t, s, env[k], "%s is printed", k)
	}
	assert.Contains(t, s, "account  demo       password (set by DEMO_PASSWORD) ")
	assert.Contains(t, s, "account  partner    password (set by PARTNER_PASSWORD) ")
	assert.Contains(t, s, "account  new_api_username password (set by DEMO_NEW_PASSWORD) ")
	assert.Contains(t, s, `ACCESS_TOKEN=$(curl -s -X POST http://127.0.0.1:8080/auth/login -H "Content-Type: application/json" -d '{"username":"demo","password":"'"$DEMO_PASSWORD"'"}' | jq -r .data.access_token)   # → 200`)
	assert.Contains(t, s, "export DEMO_PASSWORD")
	assert.NotContains(t, s, "demo-password")
	assert.NotContains(t, s, "partner-password")

	// DEMO_PASSWORD set to the public default is still the environment's:
	// the banner shows it as set, and the curl line uses the variable.
	getenv = func(k string) string { return map[string]string{"DEMO_PASSWORD": server.DefaultDemoPassword}[k] }
	cfg, err = server.FromEnv(getenv)
	require.NoError(t, err)
	out.Reset()
	printBanner(&out, "http://127.0.0.1:8080", "curl", cfg, "memory (this instance only)", false, getenv)
	assert.Contains(t, out.String(), "(set by DEMO_PASSWORD)")
	assert.Contains(t, out.String(), `"'"$DEMO_PASSWORD"'"`)
}

// TestOperatorConfigurationHasNoPublicAccount runs the command as an
// operator would configure it (operatorEnv): the partner account, whose
// default password -help and the README publish, does not exist — its
// login answers 401 from any address — the operator's demo password works
// from the whitelist, and stdout repeats none of the passwords.
func TestOperatorConfigurationHasNoPublicAccount(t *testing.T) {
	bcryptCost = bcrypt.MinCost
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return operatorEnv[k] }, stdout, stderr)
	})
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		r := cmdtest.Do(t, cmdtest.ClientFrom(t, ip), "POST", cmd.Base+"/auth/login", nil, `{"username":"partner","password":"partner-password"}`)
		assert.Equal(t, http.StatusUnauthorized, r.Status, "from %s: %s", ip, r.Body)
	}
	r := cmdtest.Do(t, cmdtest.ClientFrom(t, "127.0.0.2"), "POST", cmd.Base+"/auth/login", nil, `{"username":"demo","password":"`+operatorEnv["DEMO_PASSWORD"]+`"}`)
	assert.Equal(t, http.StatusOK, r.Status, r.Body)
	out := cmd.Stdout.String()
	assert.NotContains(t, out, "account  partner")
	for _, k := range []string{"DEMO_PASSWORD", "DEMO_NEW_PASSWORD"} {
		assert.NotContains(t, out, operatorEnv[k], "%s set by the operator is printed on stdout", k)
	}
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
