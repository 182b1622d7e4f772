package gatehouse_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
)

func TestNewEventAndSlog(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/v1/products?token=secret", nil)
	r.RemoteAddr = "127.0.0.2:4000"
	r.Header.Set("X-Request-Id", "req-1")
	ev := gatehouse.NewEvent(r, "bearer", "authenticate")
	assert.Equal(t, netip.MustParseAddr("127.0.0.2"), ev.ClientIP)
	assert.Equal(t, "/api/v1/products", ev.Path, "the query is never recorded")
	assert.Equal(t, "req-1", ev.RequestID)

	ev.Outcome, ev.Reason, ev.Status, ev.Subject = gatehouse.Denied, "token_expired", 401, "u1"
	var buf bytes.Buffer
	a := gatehouse.SlogAuditor(slog.New(slog.NewTextHandler(&buf, nil)))
	gatehouse.Emit(context.Background(), a, ev)
	out := buf.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "reason=token_expired")
	assert.Contains(t, out, "client_ip=127.0.0.2")
	assert.NotContains(t, out, "secret")

	buf.Reset()
	ev.Outcome = gatehouse.Allowed
	gatehouse.Emit(context.Background(), a, ev)
	assert.Empty(t, buf.String(), "allowed decisions log at debug, below the default level")

	gatehouse.Emit(context.Background(), nil, ev) // a nil Auditor is a no-op
}

func TestEventConclude(t *testing.T) {
	for _, tc := range []struct {
		status  int
		outcome gatehouse.Outcome
	}{{0, gatehouse.Allowed}, {401, gatehouse.Denied}, {429, gatehouse.Denied}, {503, gatehouse.Failed}} {
		var ev gatehouse.Event
		ev.Conclude(tc.status, gatehouse.ReasonThrottled)
		assert.Equal(t, tc.outcome, ev.Outcome, tc.status)
		assert.Equal(t, tc.status, ev.Status)
		assert.Equal(t, gatehouse.ReasonThrottled, ev.Reason)
	}
}
