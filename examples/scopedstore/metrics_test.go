package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// TestMetricsAddr: with -metrics-addr the command serves /metrics,
// /healthz and /readyz on a listener of its own, and counts its decisions.
func TestMetricsAddr(t *testing.T) {
	addr, stdout, _ := startCommand(t, []string{"-metrics-addr", "127.0.0.1:0"}, nil)
	base := "http://" + addr
	line := regexp.MustCompile(`metrics  (http://127\.0\.0\.1:\d+)/metrics`)
	var admin string
	require.Eventually(t, func() bool {
		m := line.FindStringSubmatch(stdout.String())
		if m != nil {
			admin = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the banner names the metrics listener")

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
	res := cmdtest.Do(t, nil, "GET", admin+"/metrics", nil, "")
	require.Equal(t, 200, res.Status)
	assert.Regexp(t, `gatehouse_decisions_total\{[^}]*gatehouse_outcome="deny"[^}]*http_response_status_code="401"\} 1`, res.Body)
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", admin+"/healthz", nil, "").Status)
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", admin+"/readyz", nil, "").Status)
	assert.Equal(t, 401, acme("/metrics"), "not on the API's listener: an API path like any other")
}
