package cmdtest

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var adminLine = regexp.MustCompile(`metrics  (http://127\.0\.0\.1:\d+)/metrics`)

// AdminBase waits, for at most 10 seconds, until stdout names the
// -metrics-addr listener ("metrics  http://127.0.0.1:<port>/metrics") and
// returns its base URL.
func AdminBase(t testing.TB, stdout *Buffer) string {
	t.Helper()
	var base string
	require.Eventually(t, func() bool {
		if m := adminLine.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		return base != ""
	}, 10*time.Second, 10*time.Millisecond, "the banner names the metrics listener: %s", stdout)
	return base
}

// CheckAdmin checks the -metrics-addr listener at admin after the
// command answered exactly one request with 401: /metrics counts that
// refusal, /healthz and /readyz answer 200.
func CheckAdmin(t testing.TB, admin string) {
	t.Helper()
	res := Do(t, nil, "GET", admin+"/metrics", nil, "")
	require.Equal(t, 200, res.Status)
	assert.Regexp(t, `gatehouse_decisions_total\{[^}]*gatehouse_outcome="deny"[^}]*http_response_status_code="401"\} 1`, res.Body)
	assert.Equal(t, 200, Do(t, nil, "GET", admin+"/healthz", nil, "").Status)
	assert.Equal(t, 200, Do(t, nil, "GET", admin+"/readyz", nil, "").Status)
}
