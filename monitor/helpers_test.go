package monitor_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/storekit"
	"github.com/gatehouse-go/gatehouse/monitor"
)

// alerts collects the alerts a Monitor delivers.
type alerts struct {
	mu   sync.Mutex
	list []monitor.Alert
}

func (a *alerts) add(_ context.Context, al monitor.Alert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, al)
}

func (a *alerts) take() []monitor.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.list
	a.list = nil
	return out
}

// scopes returns "kind scope" of each alert, in order.
func scopes(list []monitor.Alert) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.Kind.String()+" "+a.Scope())
	}
	return out
}

// newClock returns the clock the tests move by hand, at a fixed time.
func newClock() *storekit.Clock {
	return storekit.NewClockAt(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
}

// setup returns a Monitor on clock c with cfg's thresholds (defaults
// where zero), collecting its alerts, its log discarded.
func setup(t testing.TB, cfg monitor.Config) (*monitor.Monitor, *storekit.Clock, *alerts) {
	t.Helper()
	c, got := newClock(), &alerts{}
	cfg.Now, cfg.OnAlert = c.Now, got.add
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	m, err := monitor.New(cfg)
	require.NoError(t, err)
	return m, c, got
}

// refuse sends n events answered status from addr, with reason.
func refuse(m *monitor.Monitor, n, status int, addr string, reason gatehouse.Reason) {
	var ip netip.Addr
	if addr != "" {
		ip = netip.MustParseAddr(addr)
	}
	for range n {
		ev := gatehouse.Event{Source: "bearer", Action: "authenticate", ClientIP: ip, Method: "GET", Path: "/api"}
		ev.Conclude(status, reason)
		m.Audit(context.Background(), ev)
	}
}
