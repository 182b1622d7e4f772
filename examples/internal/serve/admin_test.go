package serve_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

// TestAdmin: the operations listener serves /metrics with gatehouse's
// series, /healthz, and /readyz from its checks, naming a failing check
// but never its error, which goes to the log.
func TestAdmin(t *testing.T) {
	var logs cmdtest.Buffer
	admin, err := serve.NewAdmin("127.0.0.1:0", slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	stop := admin.Run(context.Background())
	defer stop()
	base := "http://" + admin.Addr()

	var redisDown atomic.Bool
	admin.Ready("issuers", func(context.Context) error { return nil })
	admin.Ready("redis", func(context.Context) error {
		if redisDown.Load() {
			return errors.New("dial tcp 10.0.0.1:6379: secret-host unreachable")
		}
		return nil
	})
	admin.Telemetry.Audit(context.Background(), gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Denied, Reason: "token_expired", Status: 401})

	get := func(path string) (int, string) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := get("/metrics")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `gatehouse_decisions_total{gatehouse_action="authenticate",gatehouse_outcome="deny",gatehouse_reason="token_expired",gatehouse_source="bearer",http_response_status_code="401"} 1`)
	assert.Contains(t, body, "go_goroutines", "the runtime's metrics too")

	code, body = get("/healthz")
	assert.Equal(t, 200, code, body)
	code, body = get("/readyz")
	assert.Equal(t, 200, code, body)
	assert.Contains(t, body, `"ready"`)

	redisDown.Store(true)
	code, body = get("/readyz")
	assert.Equal(t, 503, code)
	assert.Contains(t, body, "Not ready: redis")
	assert.NotContains(t, body, "secret-host")
	assert.NotContains(t, body, "issuers")
	assert.Contains(t, logs.String(), "secret-host", "the detail is logged")

	code, _ = get("/elsewhere")
	assert.Equal(t, 404, code)

	var banner strings.Builder
	admin.PrintBanner(&banner)
	assert.Contains(t, banner.String(), "  metrics  "+base+"/metrics")
	assert.Contains(t, banner.String(), "curl -s "+base+"/readyz   # → 200")
}

// TestAdminBadAddress: a listen address that cannot be used fails, naming
// the flag.
func TestAdminBadAddress(t *testing.T) {
	_, err := serve.NewAdmin("127.0.0.1:-1", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-metrics-addr")
}
