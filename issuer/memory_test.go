package issuer_test

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/issuer/issuertest"
	"github.com/stretchr/testify/require"
)

func TestMemoryRefresh(t *testing.T) {
	issuertest.TestRefreshStore(t, func(*testing.T) issuer.RefreshStore { return mustMemoryRefresh(issuer.MemoryRefreshConfig{}) })
}

func TestMemoryCredentials(t *testing.T) {
	issuertest.TestCredentialStore(t, func(t *testing.T, accounts ...issuer.Account) issuer.CredentialStore {
		s, err := issuer.NewMemoryCredentials(accounts...)
		require.NoError(t, err)
		return s
	})
}
