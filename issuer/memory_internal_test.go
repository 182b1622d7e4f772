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

// A session refreshed in a loop keeps RefreshRing+1 token hashes, and the
// expiry entries of the tokens its history let go do not pile up either:
// the queue stays within half as many again as the live tokens, and 64.
func TestMemoryRefreshExpiryQueueStaysBounded(t *testing.T) {
	ctx := context.Background()
	m, err := NewMemoryRefresh(MemoryRefreshConfig{MaxTokens: 64, MaxTokensPerSubject: 64})
	require.NoError(t, err)
	now := time.Now()
	h := func(k int) [32]byte { return sha256.Sum256(fmt.Append(nil, "rotation ", k)) }
	require.NoError(t, m.Create(ctx, Family{ID: "f", CreatedAt: now, Session: Session{Subject: "s"}},
		RefreshRecord{Hash: h(0), FamilyID: "f", IssuedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}))
	for k := 1; k <= 5000; k++ {
		at := now.Add(time.Duration(k) * time.Millisecond)
		_, err := m.Rotate(ctx, h(k-1), RefreshRecord{Hash: h(k), FamilyID: "f", IssuedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)})
		require.NoError(t, err, "rotation %d", k)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	require.Len(t, m.tokens, RefreshRing+1)
	assert.LessOrEqual(t, m.expiry.Len(), len(m.tokens)*3/2+64)
}
