package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// TestMetricsAddr: with -metrics-addr the command serves /metrics,
// /healthz and /readyz on a listener of its own, and counts its decisions.
func TestMetricsAddr(t *testing.T) {
	addr, stdout, _ := startCommand(t, []string{"-metrics-addr", "127.0.0.1:0"}, nil)
	base := "http://" + addr
	admin := cmdtest.AdminBase(t, stdout)

	acme := func(path string) int {
		req, err := http.NewRequest("GET", base+path, nil)
		require.NoError(t, err)
		req.Host = "acme.localhost"
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, 401, acme("/api/external/v1/products"))
	cmdtest.CheckAdmin(t, admin)
	assert.Equal(t, 401, acme("/metrics"), "not on the API's listener: an API path like any other")
}
