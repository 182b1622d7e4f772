package bearertest_test

import (
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
)

func TestMemoryRevocations(t *testing.T) {
	bearertest.TestRevocationStore(t, func(_ *testing.T, now func() time.Time) bearer.RevocationStore {
		return bearer.NewMemoryRevocations(now)
	})
}

func TestMemoryTokens(t *testing.T) {
	bearertest.TestTokenStore(t, func(*testing.T) bearertest.TokenStore { return bearer.NewMemoryTokens() })
}
