package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// scrape reads base/metrics and returns its families by name.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return families
}

// series renders each sample of a counter family as `{label="v",…} n`,
// its labels sorted.
func series(f *dto.MetricFamily) []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, m := range f.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		slices.Sort(labels)
		out = append(out, fmt.Sprintf("{%s} %g", strings.Join(labels, ","), m.GetCounter().GetValue()))
	}
	slices.Sort(out)
	return out
}

// TestScrapeMetrics runs the command with -metrics-addr on loopback, sends
// scripted traffic that gets 200, 401, 403 and 429 answers, and scrapes
// /metrics: every series of gatehouse_decisions_total has exactly the
// count of the decisions made, and the step and store histograms count
// the calls. /healthz and /readyz answer on the same listener.
func TestScrapeMetrics(t *testing.T) {
	bcryptCost = bcrypt.MinCost
	env := map[string]string{
		"JWT_SECRET":       bbSecret,
		"DEMO_ALLOWED_IPS": "10.9.9.9",     // demo may call from this address only
		"TRUSTED_PROXIES":  "127.0.0.1/32", // so X-Forwarded-For names the client
	}
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, stdout, stderr)
	})
	admin := cmdtest.AdminBase(t, cmd.Stdout)
	require.NotEqual(t, cmd.Base, admin, "a listener of its own")

	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	with := func(h http.Header, tok string) http.Header {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", "Bearer "+tok)
		return h
	}
	login := func(h http.Header, user, pw string) cmdtest.Reply {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", "application/json")
		return cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/login", h, fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw))
	}

	// 200: partner logs in and reads the products three times.
	res := login(nil, "partner", "partner-password")
	require.Equal(t, 200, res.Status, res.Body)
	partner := bbData(t, res.Body, "access_token")
	for range 3 {
		require.Equal(t, 200, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", with(nil, partner), "").Status)
	}
	// 401: no token, twice.
	for range 2 {
		require.Equal(t, 401, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", nil, "").Status)
	}
	// 403: demo logs in from its address, then calls from another one.
	res = login(from("10.9.9.9"), "demo", "demo-password")
	require.Equal(t, 200, res.Status, res.Body)
	demo := bbData(t, res.Body, "access_token")
	require.Equal(t, 403, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", with(from("10.9.9.10"), demo), "").Status)
	// 401 ×5 then 429: wrong passwords for partner from one address.
	for range 5 {
		require.Equal(t, 401, login(from("10.1.1.1"), "partner", "wrong").Status)
	}
	require.Equal(t, 429, login(from("10.1.1.1"), "partner", "wrong").Status)

	families := scrape(t, admin)
	decision := func(source, action, outcome, reason string, status int) string {
		labels := []string{
			fmt.Sprintf("gatehouse_action=%q", action),
			fmt.Sprintf("gatehouse_outcome=%q", outcome),
			fmt.Sprintf("gatehouse_source=%q", source),
		}
		if reason != "" {
			labels = append(labels, fmt.Sprintf("gatehouse_reason=%q", reason))
		}
		if status != 0 {
			labels = append(labels, fmt.Sprintf("http_response_status_code=%q", fmt.Sprint(status)))
		}
		slices.Sort(labels)
		return "{" + strings.Join(labels, ",") + "}"
	}
	want := []string{
		// Every request, through the client-address resolver: 1 + 3 + 2
		// + 1 + 1 + 5 + 1.
		decision("ipallow", "resolve", "allow", "", 0) + " 14",
		// Logins: partner's and demo's (answered 200), the five wrong
		// passwords, the throttled sixth.
		decision("issuer", "login", "allow", "", 200) + " 2",
		decision("issuer", "login", "deny", "invalid_credentials", 401) + " 5",
		decision("issuer", "login", "deny", "throttled", 429) + " 1",
		// API calls: partner's three and demo's pass bearer, the two
		// without a token do not.
		decision("bearer", "authenticate", "allow", "", 0) + " 4",
		decision("bearer", "authenticate", "deny", "no_credentials", 401) + " 2",
		// The account whitelist at those four: partner has none, demo's
		// does not list 10.9.9.10.
		decision("ipallow", "account", "allow", "", 0) + " 3",
		decision("ipallow", "account", "deny", "ip_denied", 403) + " 1",
	}
	got := series(families["gatehouse_decisions_total"])
	assert.Equal(t, slices.Sorted(slices.Values(want)), got, "every series, each with its exact count")

	steps := families["gatehouse_step_duration_seconds"]
	require.NotNil(t, steps)
	counts := map[string]uint64{}
	for _, m := range steps.GetMetric() {
		var step, outcome string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "gatehouse_step":
				step = l.GetValue()
			case "gatehouse_outcome":
				outcome = l.GetValue()
			}
		}
		counts[step+"/"+outcome] = m.GetHistogram().GetSampleCount()
	}
	assert.Equal(t, map[string]uint64{"bearer/allow": 4, "bearer/deny": 2, "ipallow/allow": 3, "ipallow/deny": 1}, counts)
	assert.NotNil(t, families["gatehouse_store_duration_seconds"], "the stores are timed")

	for path, status := range map[string]int{"/healthz": 200, "/readyz": 200, "/nothing": 404} {
		res := cmdtest.Do(t, nil, "GET", admin+path, nil, "")
		assert.Equal(t, status, res.Status, "%s: %s", path, res.Body)
	}
	assert.Equal(t, 404, cmdtest.Do(t, nil, "GET", cmd.Base+"/metrics", nil, "").Status, "not on the API's listener")
}

// TestScrapeMetricsRedis: on the shared Redis, the stores the requests use
// are timed through their wrappers, which keep redisstore's one-call
// paths (the whitelist's compiled set, the throttle's batches, logout's
// token-and-session revocation), and /readyz pings Redis.
func TestScrapeMetricsRedis(t *testing.T) {
	r := singleNode(t)
	bcryptCost = bcrypt.MinCost
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-redis-addr", r.addr},
			func(k string) string { return map[string]string{"REDIS_PREFIX": r.prefix, "JWT_SECRET": bbSecret}[k] }, stdout, stderr)
	})
	admin := cmdtest.AdminBase(t, cmd.Stdout)

	access, _ := bbLogin(t, cmd.Base, "partner", "partner-password")
	require.Equal(t, 200, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", bbBearer(access), "").Status)
	require.Equal(t, 200, cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/logout", bbBearer(access), "").Status)
	require.Equal(t, 401, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", bbBearer(access), "").Status)

	calls := map[string]uint64{}
	for _, m := range scrape(t, admin)["gatehouse_store_duration_seconds"].GetMetric() {
		var store, op, errType string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "gatehouse_store":
				store = l.GetValue()
			case "gatehouse_store_operation":
				op = l.GetValue()
			case "error_type":
				errType = l.GetValue()
			}
		}
		assert.Empty(t, errType, "%s.%s failed", store, op)
		calls[store+"."+op] += m.GetHistogram().GetSampleCount()
	}
	for _, call := range []string{
		"failures.AddFailures", "failures.SettleFailures", // the login's two keys, one round trip each
		"refresh.Create",
		"ip_lists.AllowSet", // the compiled whitelist, not AllowList
		"revocations.Revoked",
		"revocations.RevokeTokenAndSession", // logout's one write
	} {
		assert.Positive(t, calls[call], "%s in %v", call, calls)
	}
	assert.Zero(t, calls["ip_lists.AllowList"], "the set is read, never the list")
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", admin+"/readyz", nil, "").Status)
}
