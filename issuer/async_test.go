package issuer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// panickingAccounts is an AccountChecker with a bug: it panics.
type panickingAccounts struct{}

func (panickingAccounts) CheckAccount(context.Context, string, netip.Addr) error {
	panic("allowlist store bug")
}

// TestStorePanicReachesTheHandler: a store the issuer calls in a
// goroutine of its own (the allowlist, read while the attempt is counted)
// panics. The panic is raised again on the request's goroutine, where
// envelope.Recover answers 500, instead of ending the process.
func TestStorePanicReachesTheHandler(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.Accounts = panickingAccounts{} })
	srv := httptest.NewServer(envelope.Recover(nil)(f.mux))
	defer srv.Close()
	res, err := http.Post(srv.URL+"/auth/login", "application/json",
		strings.NewReader(`{"username":"demo","password":"demo-password"}`))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
}
