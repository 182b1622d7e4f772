package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// TestRevokeCredentials walks seed 001's rotation when the old credentials
// have several sessions: RevokeCredentials ends all of them at once — every
// old access token and refresh token answers 401 — while the new
// credentials of the same client keep working.
func TestRevokeCredentials(t *testing.T) {
	e := start(t, map[string]string{
		"DEMO_NEW_USERNAME": "new_api_username",
		"DEMO_NEW_PASSWORD": "new_secure_password",
	})
	old1 := e.login("127.0.0.2", "demo", "demo-password")
	old2 := e.login("127.0.0.3", "demo", "demo-password")
	fresh := e.login("127.0.0.2", "new_api_username", "new_secure_password")

	e.clock.Add(time.Second)
	require.NoError(t, e.server.RevokeCredentials(context.Background(), "demo"))
	for _, old := range []tokens{old1, old2} {
		assert.Equal(t, http.StatusUnauthorized, e.get("127.0.0.2", "/api/v1/products", old.AccessToken).status)
		assert.Equal(t, http.StatusUnauthorized, e.refresh("127.0.0.2", old.RefreshToken).status)
	}
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", fresh.AccessToken).status)
	assert.Equal(t, http.StatusOK, e.refresh("127.0.0.2", fresh.RefreshToken).status)
	assert.ErrorIs(t, e.server.RevokeCredentials(context.Background(), "nobody"), issuer.ErrAccountNotFound)
}
