package main

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
)

// TestMetricsAddr: with -metrics-addr the command serves /metrics,
// /healthz and /readyz on a listener of its own, and counts its decisions.
func TestMetricsAddr(t *testing.T) {
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, func(string) string { return "" }, stdout, stderr)
	})
	admin := cmdtest.AdminBase(t, cmd.Stdout)

	assert.Equal(t, 401, cmdtest.Do(t, nil, "GET", cmd.Base+"/v2/stores", nil, "").Status)
	cmdtest.CheckAdmin(t, admin)
	assert.Equal(t, 404, cmdtest.Do(t, nil, "GET", cmd.Base+"/metrics", nil, "").Status, "not on the API's listener")
}
