package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpDocumentsConfiguration(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-help"}, func(string) string { return "" }, &out, &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"-addr", "127.0.0.1:8080", "JWT_SECRET", "DEMO_USERNAME", "DEMO_PASSWORD", "DEMO_CLIENT_ID",
		"DEMO_ALLOWED_IPS", "TRUSTED_PROXIES", "ACCESS_TTL", "REFRESH_TTL", "partner-password", "654321"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestBadEnvironmentFails(t *testing.T) {
	var out bytes.Buffer
	err := run(nil, func(k string) string { return map[string]string{"ACCESS_TTL": "forever"}[k] }, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ACCESS_TTL")
}

func TestBanner(t *testing.T) {
	cfg, err := server.FromEnv(func(k string) string { return map[string]string{"DEMO_ALLOWED_IPS": "127.0.0.2"}[k] })
	require.NoError(t, err)
	var out bytes.Buffer
	printBanner(&out, "http://127.0.0.1:8080", cfg, true)
	s := out.String()
	assert.Contains(t, s, "demo-password")
	assert.Contains(t, s, "127.0.0.2")
	assert.Contains(t, s, "random secret")
	assert.Contains(t, s, `curl -X POST http://127.0.0.1:8080/auth/login -H "Content-Type: application/json" -d '{"username":"demo","password":"demo-password"}'`)
	assert.Equal(t, 1, strings.Count(s, "listening on"))
}
