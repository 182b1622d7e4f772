package issuer_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// A MemoryRefresh holds the current token and the RefreshRing rotated
// last per family, however many rotations there were.
func TestMemoryRefreshBoundedPerFamily(t *testing.T) {
	m := mustMemoryRefresh(issuer.MemoryRefreshConfig{})
	ctx := context.Background()
	now := time.Now()
	h := func(k int) [32]byte { return sha256.Sum256(fmt.Append(nil, "token", k)) }
	rec := issuer.RefreshRecord{Hash: h(0), FamilyID: "f", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	require.NoError(t, m.Create(ctx, issuer.Family{ID: "f", CreatedAt: now}, rec))
	for k := 1; k <= 1000; k++ {
		nx := issuer.RefreshRecord{Hash: h(k), FamilyID: "f", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		_, err := m.Rotate(ctx, h(k-1), nx)
		require.NoError(t, err)
	}
	assert.Equal(t, issuer.RefreshRing+1, m.Len())
}
