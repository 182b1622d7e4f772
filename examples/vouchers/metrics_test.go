package main

import (
	"context"
	"io"
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
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, func(string) string { return "" }, stdout, stderr)
	})
	line := regexp.MustCompile(`metrics  (http://127\.0\.0\.1:\d+)/metrics`)
	var admin string
	require.Eventually(t, func() bool {
		m := line.FindStringSubmatch(cmd.Stdout.String())
		if m != nil {
			admin = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the banner names the metrics listener")

	assert.Equal(t, 401, cmdtest.Do(t, nil, "GET", cmd.Base+"/v2/stores", nil, "").Status)
	res := cmdtest.Do(t, nil, "GET", admin+"/metrics", nil, "")
	require.Equal(t, 200, res.Status)
	assert.Regexp(t, `gatehouse_decisions_total\{[^}]*gatehouse_outcome="deny"[^}]*http_response_status_code="401"\} 1`, res.Body)
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", admin+"/healthz", nil, "").Status)
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", admin+"/readyz", nil, "").Status)
	assert.Equal(t, 404, cmdtest.Do(t, nil, "GET", cmd.Base+"/metrics", nil, "").Status, "not on the API's listener")
}
