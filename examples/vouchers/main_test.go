package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-help"}, env(nil), &out, &errOut)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{"-addr", "127.0.0.1:8080", "API_KEY", "API_SIGNATURE", "CLIENT_SECRET", "-sign-assertion", "403"} {
		assert.Contains(t, errOut.String(), want)
	}
}

func TestSignAssertionMode(t *testing.T) {
	var out bytes.Buffer
	sig := "monApiSignature-monApiSignature-0"
	err := run(t.Context(), []string{"-sign-assertion", "-amount", "12.5", "-notification-key", "tx-1", "-user-id", "u-1", "-force-manual-confirm"},
		env(map[string]string{"API_SIGNATURE": sig}), &out, &out)
	require.NoError(t, err)
	parts := strings.Split(strings.TrimSpace(out.String()), ".")
	require.Len(t, parts, 3)
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	assert.Equal(t, `{"typ":"JWT","alg":"HS256"}`, string(hdr))
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	require.NoError(t, json.Unmarshal(payload, &c))
	assert.Equal(t, 12.5, c["amount"])
	assert.Equal(t, "tx-1", c["notificationKey"])
	assert.Equal(t, "u-1", c["userId"])
	assert.Equal(t, true, c["forceManualConfirm"])
	assert.NotZero(t, c["iat"])

	err = run(t.Context(), []string{"-sign-assertion"}, env(nil), &out, &out)
	require.ErrorContains(t, err, "API_SIGNATURE")
	err = run(t.Context(), []string{"-sign-assertion", "-amount", "lots"}, env(map[string]string{"API_SIGNATURE": sig}), &out, &out)
	require.Error(t, err)
}

func TestConfigurationErrors(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), nil, env(map[string]string{"API_SIGNATURE": "1234567"}), &out, &out)
	require.ErrorContains(t, err, "at least 32 bytes (HS256, RFC 7518 §3.2), and never under 8")
	err = run(t.Context(), nil, env(map[string]string{"SESSION_TTL": "soon"}), &out, &out)
	require.ErrorContains(t, err, "SESSION_TTL")
	err = run(t.Context(), []string{"extra"}, env(nil), &out, &out)
	require.Error(t, err)
}

func TestGeneratedCredentials(t *testing.T) {
	c, err := loadCredentials(env(nil))
	require.NoError(t, err)
	assert.True(t, c.generated)
	assert.True(t, strings.HasPrefix(c.apiKey, "demo-"))
	assert.GreaterOrEqual(t, len(c.signature), 32)
	assert.Len(t, c.secret, 43)
	var out bytes.Buffer
	printDemo(&out, "http://127.0.0.1:8080", c)
	for _, want := range []string{"export API_KEY=" + c.apiKey, "-sign-assertion", "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_credentials", "/v2/stores"} {
		assert.Contains(t, out.String(), want)
	}
	c, err = loadCredentials(env(map[string]string{"API_KEY": "ABCD", "API_SIGNATURE": strings.Repeat("s", 32), "CLIENT_SECRET": "x"}))
	require.NoError(t, err)
	assert.False(t, c.generated)
}
