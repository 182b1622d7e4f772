package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// TestMetricsAndReadiness runs the command with -metrics-addr: the
// operations listener's /readyz follows the issuers' key sets, and
// /metrics counts the key-set refreshes, the keys, and the decisions.
func TestMetricsAndReadiness(t *testing.T) {
	p := newProvider(t, bearertest.ProviderConfig{})
	p.Fail(http.StatusServiceUnavailable, 0)
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-issuer", p.Issuer(), "-audience", "https://api.test"}, stdout, stderr, nil)
	})
	admin := cmdtest.AdminBase(t, cmd.Stdout)
	metrics := func() string { return get(t, admin+"/metrics", "").body }

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Contains(c, metrics(), `gatehouse_jwks_fetches_total{gatehouse_jwks_issuer="`+p.Issuer()+`",gatehouse_jwks_result="error"}`)
	}, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, metrics(), `gatehouse_jwks_keys{gatehouse_jwks_issuer="`+p.Issuer()+`"} 0`)
	r := get(t, admin+"/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Contains(t, r.body, "Not ready: issuers")
	assert.NotContains(t, r.body, "well-known", "the reason stays in the log")
	assert.Equal(t, http.StatusOK, get(t, admin+"/healthz", "").status, "alive all the same")

	p.Fail(0, 0)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, http.StatusOK, get(t, admin+"/readyz", "").status)
	}, 15*time.Second, 20*time.Millisecond)
	assert.Equal(t, http.StatusOK, get(t, cmd.Base+"/api/v1/products", p.Token(t, claims("https://api.test", "products:read"))).status)
	assert.Equal(t, http.StatusForbidden, get(t, cmd.Base+"/api/v1/products", p.Token(t, claims("https://api.test"))).status)
	assert.Equal(t, http.StatusUnauthorized, get(t, cmd.Base+"/api/v1/products", "").status)

	body := metrics()
	for _, want := range []string{
		`gatehouse_jwks_keys{gatehouse_jwks_issuer="` + p.Issuer() + `"} 1`,
		`gatehouse_jwks_fetches_total{gatehouse_jwks_issuer="` + p.Issuer() + `",gatehouse_jwks_result="updated"} 1`,
		`gatehouse_decisions_total{gatehouse_action="authenticate",gatehouse_outcome="allow",gatehouse_source="bearer"} 2`,
		`gatehouse_decisions_total{gatehouse_action="authenticate",gatehouse_outcome="deny",gatehouse_reason="no_credentials",gatehouse_source="bearer",http_response_status_code="401"} 1`,
		`gatehouse_step_duration_seconds_count{gatehouse_outcome="allow",gatehouse_step="bearer"} 2`,
		`gatehouse_step_duration_seconds_count{gatehouse_outcome="deny",gatehouse_step="scopes"} 1`,
		`gatehouse_jwks_age_seconds{gatehouse_jwks_issuer="` + p.Issuer() + `"}`,
	} {
		assert.Contains(t, body, want)
	}
	var scopes []string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "gatehouse_decisions_total{") && strings.Contains(line, `gatehouse_source="scopes"`) {
			scopes = append(scopes, line)
		}
	}
	assert.Len(t, scopes, 2, "the scope check's allow and its 403: %q", scopes)
}
