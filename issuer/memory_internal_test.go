package issuer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryRefreshSweeps(t *testing.T) {
	ctx := context.Background()
	m, err := NewMemoryRefresh(MemoryRefreshConfig{})
	require.NoError(t, err)
	base := time.Now()
	for k := range sweepEvery - 1 {
		h := sha256.Sum256(fmt.Append(nil, k))
		id := fmt.Sprint("f", k)
		require.NoError(t, m.Create(ctx, Family{ID: id}, RefreshRecord{Hash: h, FamilyID: id, IssuedAt: base, ExpiresAt: base.Add(time.Minute)}))
	}
	assert.Equal(t, sweepEvery-1, m.len())
	// The next write happens after every earlier token expired: the sweep
	// drops them and their families.
	later := base.Add(time.Hour)
	h := sha256.Sum256([]byte("last"))
	require.NoError(t, m.Create(ctx, Family{ID: "last"}, RefreshRecord{Hash: h, FamilyID: "last", IssuedAt: later, ExpiresAt: later.Add(time.Minute)}))
	assert.Equal(t, 1, m.len())
	m.mu.Lock()
	assert.Len(t, m.families, 1)
	m.mu.Unlock()
}
