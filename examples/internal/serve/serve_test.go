package serve_test

import (
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

func TestServeUntilCanceled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "ok")
		}))
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok", string(body))

	cancel()
	assert.NoError(t, <-done, "a canceled context shuts down cleanly")
}

func TestNewFlagSetHelp(t *testing.T) {
	var stderr strings.Builder
	fs := serve.NewFlagSet("demo", "Usage: demo\n", &stderr)
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	require.ErrorIs(t, fs.Parse([]string{"-help"}), flag.ErrHelp)
	assert.Equal(t, "Usage: demo\n", stderr.String())
	assert.Equal(t, "127.0.0.1:8080", *addr)

	stderr.Reset()
	require.Error(t, fs.Parse([]string{"-port", "1"}))
	assert.Equal(t, "flag provided but not defined: -port\nUsage: demo\n", stderr.String())
}

// TestServeUnusedConnection: a connection opened but never sent a request
// (a client's spare connection) does not turn a clean stop into a
// timeout: http.Server.Shutdown closes it once it is 5 seconds old, within
// the grace a shutdown gives.
func TestServeUnusedConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 5 seconds for the server to close an unused connection")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// The server has accepted the connection once it answers a request
	// on another one.
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	resp.Body.Close()

	cancel()
	assert.NoError(t, <-done, "an unused connection is closed within the shutdown's grace")
}
