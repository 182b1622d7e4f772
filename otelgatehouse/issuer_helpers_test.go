package otelgatehouse_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/issuer"
)

// mustCredentials returns an in-memory account store with alice, whose
// password is "alice-password", hashed at bcrypt's lowest cost.
func mustCredentials(t testing.TB) *issuer.MemoryCredentials {
	t.Helper()
	hash, err := issuer.HashPassword("alice-password", 4)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "alice", PasswordHash: hash, Tenant: "acme", Scopes: []string{"orders:read"}})
	require.NoError(t, err)
	return creds
}

// tokenPair is what a login answers.
type tokenPair struct{ Access, Refresh string }

// login logs in through iss's real Login handler.
func login(t testing.TB, iss *issuer.Issuer, user, password string) tokenPair {
	t.Helper()
	body, err := json.Marshal(map[string]string{"username": user, "password": password})
	require.NoError(t, err)
	rec := gatehousetest.Serve(httpHandler(iss.Login), gatehousetest.Request(t, "POST", "/auth/login", gatehousetest.WithBody("application/json", string(body))))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	return pairOf(t, rec.Body.String())
}
