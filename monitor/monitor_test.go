package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/monitor"
)

var discard = slog.New(slog.DiscardHandler)

func TestDefaultsAreTheReferenceThresholds(t *testing.T) {
	m, _, got := setup(t, monitor.Config{})
	refuse(m, 10, 401, "192.0.2.7", "invalid_credentials")
	refuse(m, 5, 403, "192.0.2.7", "ip_denied")
	assert.Empty(t, got.take(), "10 failed authentications and 5 forbidden requests are within the defaults")
	refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
	assert.Equal(t, []string{"unauthorized 192.0.2.7", "unauthorized overall"}, scopes(got.take()))
	refuse(m, 1, 403, "192.0.2.7", "ip_denied")
	assert.Equal(t, []string{"forbidden 192.0.2.7", "forbidden overall"}, scopes(got.take()))
}

func TestExactlyAtThresholdVersusOver(t *testing.T) {
	m, clk, got := setup(t, monitor.Config{MaxUnauthorized: 3, MaxForbidden: 2, Window: time.Minute})
	start := clk.Now()
	refuse(m, 2, 401, "192.0.2.7", "token_expired")
	clk.Add(10 * time.Second)
	refuse(m, 1, 401, "192.0.2.7", "token_invalid")
	assert.Empty(t, got.take(), "3 = the threshold: no alert")
	clk.Add(10 * time.Second)
	refuse(m, 1, 401, "192.0.2.7", "token_expired")
	list := got.take()
	require.Len(t, list, 2, "4 > 3: the client's alert and the overall one")
	a := list[0]
	assert.Equal(t, monitor.Unauthorized, a.Kind)
	assert.Equal(t, netip.MustParsePrefix("192.0.2.7/32"), a.Client)
	assert.False(t, a.Overall())
	assert.Equal(t, 4, a.Count)
	assert.Equal(t, 3, a.Threshold)
	assert.Equal(t, time.Minute, a.Window)
	assert.Equal(t, start, a.First)
	assert.Equal(t, start.Add(20*time.Second), a.Last)
	assert.Equal(t, []monitor.ReasonCount{{Reason: "token_expired", Count: 3}, {Reason: "token_invalid", Count: 1}}, a.Reasons)
	assert.True(t, a.Previous.IsZero())
	assert.Zero(t, a.Suppressed)
	assert.Equal(t, "more than 3 unauthorized answers within 1m0s from 192.0.2.7", a.String())
	o := list[1]
	assert.True(t, o.Overall())
	assert.Equal(t, "overall", o.Scope())
	assert.Equal(t, a.Count, o.Count)
	assert.Equal(t, "more than 3 unauthorized answers within 1m0s from all clients", o.String())

	refuse(m, 2, 403, "192.0.2.8", "ip_denied")
	assert.Empty(t, got.take(), "2 forbidden = the threshold")
	refuse(m, 1, 403, "192.0.2.8", "insufficient_scope")
	list = got.take()
	assert.Equal(t, []string{"forbidden 192.0.2.8", "forbidden overall"}, scopes(list))
	assert.Equal(t, 3, list[0].Count)
	assert.Equal(t, []monitor.ReasonCount{{Reason: "ip_denied", Count: 2}, {Reason: "insufficient_scope", Count: 1}}, list[0].Reasons)
}

// TestSlidingExpiry: an event counts until it is Window old, to the
// nanosecond; the window slides with every event rather than restarting.
func TestSlidingExpiry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gap   time.Duration // from the first event to the last
		alert bool
	}{
		{"the first event has just left", 15 * time.Minute, false},
		{"the first event is 1ns from leaving", 15*time.Minute - time.Nanosecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, clk, got := setup(t, monitor.Config{})
			refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
			clk.Add(time.Minute)
			refuse(m, 9, 401, "192.0.2.7", "invalid_credentials")
			clk.Add(tc.gap - time.Minute)
			refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
			if tc.alert {
				assert.Len(t, got.take(), 2, "11 events within the window")
			} else {
				assert.Empty(t, got.take(), "10 events within the window: the first has expired")
			}
		})
	}

	// A slow, steady stream never alerts however long it runs: at most 10
	// events are ever within 15 minutes of each other.
	m, clk, got := setup(t, monitor.Config{})
	for range 200 {
		refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
		clk.Add(90 * time.Second)
	}
	assert.Empty(t, got.take(), "one failure every 90 s is 10 per 15 minutes")
	// ...but one more within the last 90 s makes 11.
	clk.Add(-89 * time.Second)
	refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
	assert.Len(t, got.take(), 2)
}

// TestOncePerWindow: a flood raises one alert per window for each kind
// and scope, and the next window's alert reports what was held back.
func TestOncePerWindow(t *testing.T) {
	m, clk, got := setup(t, monitor.Config{})
	var logs bytes.Buffer
	m2, err := monitor.New(monitor.Config{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)

	first := clk.Now()
	for i := range 10_000 {
		refuse(m, 1, 401, "198.51.100.9", "invalid_credentials")
		refuse(m2, 1, 401, "198.51.100.9", "invalid_credentials")
		if i%100 == 99 {
			clk.Add(time.Second) // 100 s in all
		}
	}
	list := got.take()
	assert.Equal(t, []string{"unauthorized 198.51.100.9", "unauthorized overall"}, scopes(list))
	alertAt := list[0].Last
	assert.Equal(t, first, alertAt, "the 11th event, in the first second")
	assert.Equal(t, 2, strings.Count(logs.String(), "gatehouse monitor alert"), "one log line per alert")

	// The quiet period lasts a window from the alert: 1 ns short of it,
	// still quiet...
	clk.Add(alertAt.Add(15*time.Minute - time.Nanosecond).Sub(clk.Now()))
	refuse(m, 5, 401, "198.51.100.9", "invalid_credentials")
	assert.Empty(t, got.take())
	// ...then the next window's first event over the threshold alerts
	// again, once per scope, with what was held back.
	clk.Add(time.Nanosecond)
	refuse(m, 20, 401, "198.51.100.9", "token_invalid")
	list = got.take()
	require.Equal(t, []string{"unauthorized 198.51.100.9", "unauthorized overall"}, scopes(list))
	a := list[0]
	assert.Equal(t, alertAt, a.Previous)
	assert.Equal(t, 10_000-11+5, a.Suppressed, "the flood after the first alert and the 5 in its last nanosecond")
	assert.Equal(t, 11, a.Count)
	assert.Equal(t, []monitor.ReasonCount{{Reason: "invalid_credentials", Count: 10}, {Reason: "token_invalid", Count: 1}}, a.Reasons)
	assert.Equal(t, first.Add(99*time.Second), a.First, "the latest 11 events: 5 of the flood's last second, 5 in the quiet period's last nanosecond, this one")
}

// TestRearmAfterQuiet: once the quiet period is over, an alert needs a
// new burst: the old events have left the window.
func TestRearmAfterQuiet(t *testing.T) {
	m, clk, got := setup(t, monitor.Config{})
	refuse(m, 11, 401, "192.0.2.7", "invalid_credentials")
	assert.Len(t, got.take(), 2)
	clk.Add(16 * time.Minute)
	refuse(m, 10, 401, "192.0.2.7", "invalid_credentials")
	assert.Empty(t, got.take(), "10 new failures: the threshold, not over it")
	refuse(m, 1, 401, "192.0.2.7", "invalid_credentials")
	list := got.take()
	require.Len(t, list, 2)
	assert.Zero(t, list[0].Suppressed, "nothing arrived during the quiet period")
	assert.False(t, list[0].Previous.IsZero())
}

func TestPerAddressVersusOverall(t *testing.T) {
	m, _, got := setup(t, monitor.Config{})
	for i := range 6 {
		refuse(m, 2, 401, fmt.Sprintf("192.0.2.%d", i+1), "invalid_credentials")
	}
	assert.Equal(t, []string{"unauthorized overall"}, scopes(got.take()), "12 failures overall, 2 per address")
	refuse(m, 9, 401, "192.0.2.1", "invalid_credentials")
	assert.Equal(t, []string{"unauthorized 192.0.2.1"}, scopes(got.take()), "11 from one address; the overall alert is quiet")

	// Events without a client address count overall only.
	m, _, got = setup(t, monitor.Config{})
	refuse(m, 11, 401, "", "invalid_credentials")
	assert.Equal(t, []string{"unauthorized overall"}, scopes(got.take()))

	// The kinds are counted apart.
	m, _, got = setup(t, monitor.Config{})
	refuse(m, 10, 401, "192.0.2.7", "invalid_credentials")
	refuse(m, 5, 403, "192.0.2.7", "ip_denied")
	assert.Empty(t, got.take())
}

func TestIPv6Addresses(t *testing.T) {
	m, _, got := setup(t, monitor.Config{})
	// One client holds its /64: addresses in it count together.
	for i := range 11 {
		refuse(m, 1, 401, fmt.Sprintf("2001:db8:1:2::%x", i+1), "token_invalid")
	}
	list := got.take()
	require.Equal(t, []string{"unauthorized 2001:db8:1:2::/64", "unauthorized overall"}, scopes(list))
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1:2::/64"), list[0].Client)

	// Another /64 is another client; a zone is ignored.
	refuse(m, 10, 401, "2001:db8:1:3::1", "token_invalid")
	refuse(m, 1, 401, "2001:db8:1:3::1%eth0", "token_invalid")
	assert.Equal(t, []string{"unauthorized 2001:db8:1:3::/64"}, scopes(got.take()))

	// An IPv4-mapped IPv6 address is the IPv4 client.
	refuse(m, 5, 403, "192.0.2.7", "ip_denied")
	refuse(m, 1, 403, "::ffff:192.0.2.7", "ip_denied")
	assert.Equal(t, []string{"forbidden 192.0.2.7", "forbidden overall"}, scopes(got.take()))
}

func TestOtherEventsAreNotCounted(t *testing.T) {
	m, _, got := setup(t, monitor.Config{MaxUnauthorized: 1, MaxForbidden: 1})
	for _, status := range []int{0, 400, 404, 405, 413, 429, 500, 503} {
		refuse(m, 50, status, "192.0.2.7", "whatever")
	}
	assert.Empty(t, got.take())
}

// TestEvictionBoundsMemory: an attacker rotating addresses fills the
// table; the least recently refused clients go, the table never grows
// past MaxAddresses, and the overall scope still counts every event.
func TestEvictionBoundsMemory(t *testing.T) {
	m, clk, got := setup(t, monitor.Config{MaxAddresses: 100})
	refuse(m, 10, 401, "203.0.113.1", "invalid_credentials") // at the threshold
	refuse(m, 9, 401, "203.0.113.2", "invalid_credentials")
	var raised []monitor.Alert
	for i := range 50_000 {
		if i%50 == 0 {
			refuse(m, 1, 401, "203.0.113.2", "invalid_credentials") // refused recently: stays
		}
		refuse(m, 1, 401, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String(), "token_invalid")
		raised = append(raised, got.take()...)
	}
	assert.Equal(t, 100, monitor.Tracked(m))
	assert.Equal(t, []string{"unauthorized overall", "unauthorized 203.0.113.2"}, scopes(raised),
		"the overall count saw the flood; the client kept in the table reached its threshold")
	refuse(m, 1, 401, "203.0.113.1", "invalid_credentials")
	assert.Empty(t, got.take(), "203.0.113.1 was evicted: its count starts again")
	assert.True(t, monitor.TracksAddr(m, "203.0.113.2"), "the client refused recently was kept")

	// Once the window has passed, the idle clients make room before any
	// active one is evicted.
	clk.Add(15 * time.Minute)
	refuse(m, 1, 401, "203.0.113.3", "invalid_credentials")
	assert.Equal(t, 1, monitor.Tracked(m), "every idle client forgotten")
}

// TestEvictedClientKeepsQuietOverall: rotating addresses cannot turn one
// flood into an alert storm: the overall scope alerts once per window
// whatever the table forgets.
func TestEvictedClientKeepsQuietOverall(t *testing.T) {
	m, _, got := setup(t, monitor.Config{MaxAddresses: 10})
	for i := range 10_000 {
		refuse(m, 1, 401, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String(), "token_invalid")
	}
	assert.Equal(t, []string{"unauthorized overall"}, scopes(got.take()))
}

func TestConcurrentUse(t *testing.T) {
	addrs := []string{"192.0.2.1", "192.0.2.2", "2001:db8::1", "192.0.2.4", ""}
	run := func(m *monitor.Monitor) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					addr := addrs[(g+i)%len(addrs)]
					refuse(m, 1, 0, addr, "")                        // allowed
					refuse(m, 1, 401+2*(i%2), addr, "token_invalid") // 401 and 403
				}
			})
		}
		wg.Wait()
	}
	count := func(list []monitor.Alert) map[string]int {
		n := map[string]int{}
		for _, s := range scopes(list) {
			n[s]++
		}
		return n
	}

	m, _, got := setup(t, monitor.Config{})
	run(m)
	want := map[string]int{"unauthorized overall": 1, "forbidden overall": 1}
	for _, a := range addrs[:4] {
		scope := a
		if a == "2001:db8::1" {
			scope = "2001:db8::/64"
		}
		want["unauthorized "+scope], want["forbidden "+scope] = 1, 1
	}
	assert.Equal(t, want, count(got.take()), "each kind and scope alerted exactly once within the window")

	// With a table too small for the clients, it stays within its bound
	// and the overall scope still alerts once per kind.
	m, _, got = setup(t, monitor.Config{MaxAddresses: 3})
	run(m)
	n := count(got.take())
	assert.Equal(t, 1, n["unauthorized overall"])
	assert.Equal(t, 1, n["forbidden overall"])
	assert.LessOrEqual(t, monitor.Tracked(m), 3)
}

func TestLogRecord(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	m, err := monitor.New(monitor.Config{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&buf, nil)), MaxForbidden: 1})
	require.NoError(t, err)
	const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig"
	for range 2 {
		ev := gatehouse.Event{
			Source: "apikey", Action: "authenticate", ClientIP: netip.MustParseAddr("192.0.2.7"),
			Subject: secret, CredID: secret, RequestID: secret, Path: "/" + secret, Tenant: secret,
		}
		ev.Conclude(403, "ip_denied")
		m.Audit(context.Background(), ev)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `level=WARN msg="gatehouse monitor alert" kind=forbidden scope=192.0.2.7 count=2 threshold=1 window=15m0s first=2026-03-01T10:00:00.000Z last=2026-03-01T10:00:00.000Z reasons=ip_denied:2 suppressed=0`)
	assert.Contains(t, lines[1], `scope=overall`)
	assert.NotContains(t, buf.String(), "c2VjcmV0", "nothing of the event but its reason and address")
	assert.NotContains(t, buf.String(), "previous=")
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []monitor.Config{
		{Window: -time.Second},
		{MaxUnauthorized: -1},
		{MaxForbidden: monitor.MaxThreshold + 1},
		{MaxAddresses: -5},
	} {
		_, err := monitor.New(cfg)
		assert.ErrorIs(t, err, monitor.ErrConfig, "%+v", cfg)
	}
	_, err := monitor.New(monitor.Config{Window: -1, MaxForbidden: -1})
	require.ErrorIs(t, err, monitor.ErrConfig)
	assert.Contains(t, err.Error(), "Window")
	assert.Contains(t, err.Error(), "MaxForbidden", "every problem is named")

	m, err := monitor.New(monitor.Config{MaxUnauthorized: monitor.MaxThreshold, MaxAddresses: 1})
	require.NoError(t, err)
	require.NotNil(t, m)
}

func TestKindNames(t *testing.T) {
	assert.Equal(t, "unauthorized", monitor.Unauthorized.String())
	assert.Equal(t, "forbidden", monitor.Forbidden.String())
	assert.Equal(t, "kind(9)", monitor.Kind(9).String())
	assert.Equal(t, 401, monitor.Unauthorized.Status())
	assert.Equal(t, 403, monitor.Forbidden.Status())
	assert.Equal(t, 0, monitor.Kind(0).Status())
}

// TestAllowedCostsNothing: on the allow path (every request) the monitor
// allocates nothing, and a refusal from a known client allocates nothing
// either once its window is full.
func TestAllowedCostsNothing(t *testing.T) {
	m, _, _ := setup(t, monitor.Config{})
	ctx := context.Background()
	allowed := gatehouse.Event{Source: "bearer", Action: "authenticate", Outcome: gatehouse.Allowed, ClientIP: netip.MustParseAddr("192.0.2.7")}
	assert.Zero(t, testing.AllocsPerRun(1000, func() { m.Audit(ctx, allowed) }))
	denied := allowed
	denied.Conclude(401, "token_invalid")
	for range 20 {
		m.Audit(ctx, denied)
	}
	assert.Zero(t, testing.AllocsPerRun(1000, func() { m.Audit(ctx, denied) }))
}

// TestClientAlertBudget: an attacker spreading refusals over 2,000 IPv6
// /64s raises MaxClientAlerts alerts about single clients per window and
// no more; the overall alert counts those held back, and the budget is
// renewed a window later.
func TestClientAlertBudget(t *testing.T) {
	m, c, got := setup(t, monitor.Config{})
	for i := range 2000 {
		refuse(m, 11, 401, fmt.Sprintf("2001:db8:0:%x::1", i), "invalid_token")
	}
	list := got.take()
	clients, overall := 0, []monitor.Alert{}
	for _, a := range list {
		if a.Overall() {
			overall = append(overall, a)
		} else {
			clients++
		}
	}
	assert.Equal(t, monitor.DefaultMaxClientAlerts, clients, "at most MaxClientAlerts about single clients per window")
	require.Len(t, overall, 1, "the overall alert once per window")
	assert.Zero(t, overall[0].SuppressedClients, "it fired with the first client, before any was held back")

	c.Add(monitor.DefaultWindow)
	refuse(m, 11, 401, "2001:db8:1::1", "invalid_token")
	list = got.take()
	require.Equal(t, []string{"unauthorized 2001:db8:1::/64", "unauthorized overall"}, scopes(list), "a window later the budget is renewed")
	assert.Equal(t, 2000-monitor.DefaultMaxClientAlerts, list[1].SuppressedClients, "the overall alert counts the alerts held back")
}

// TestOverallThresholds: the overall scope has thresholds of its own, so
// a public API's scattered 401s need not raise it.
func TestOverallThresholds(t *testing.T) {
	m, c, got := setup(t, monitor.Config{OverallMaxUnauthorized: 100})
	for i := range 11 {
		refuse(m, 1, 401, fmt.Sprintf("192.0.2.%d", i+1), "token_expired")
		c.Add(time.Minute)
	}
	assert.Empty(t, got.take(), "11 clients with one expired token each: no alert")
	refuse(m, 11, 401, "198.51.100.7", "invalid_token")
	assert.Equal(t, []string{"unauthorized 198.51.100.7"}, scopes(got.take()))

	_, err := monitor.New(monitor.Config{OverallMaxForbidden: -1})
	assert.ErrorIs(t, err, monitor.ErrConfig)
	_, err = monitor.New(monitor.Config{MaxClientAlerts: -1})
	assert.ErrorIs(t, err, monitor.ErrConfig)
}
