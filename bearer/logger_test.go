package bearer_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/internal/logbuf"
)

// TestLoggerDefaultsToSlogDefault: with no Config.Logger, a key set that
// cannot be fetched and an issuer whose discovery fails are reported to
// slog.Default(), at Warn, naming the issuer and the URL. Not parallel: it
// replaces the process's default logger for its duration.
func TestLoggerDefaultsToSlogDefault(t *testing.T) {
	logs := &logbuf.Buffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)

	a, err := bearer.New(bearer.Config{
		Algorithms: []string{"RS256"},
		Issuers: []bearer.Issuer{
			{URL: broken.URL + "/jwks-issuer", JWKSURL: broken.URL + "/jwks.json"},
			{URL: broken.URL + "/discovered"}, // discovery: /discovered/.well-known/openid-configuration
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })

	require.Eventually(t, func() bool {
		return strings.Count(logs.String(), "gatehouse bearer: key set fetch failed") >= 2
	}, 5*time.Second, 5*time.Millisecond, "both failures reach the default logger:\n%s", logs)
	out := logs.String()
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "issuer="+broken.URL+"/jwks-issuer")
	assert.Contains(t, out, "issuer="+broken.URL+"/discovered")
	assert.Contains(t, out, "500")
}
