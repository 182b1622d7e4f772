package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// The insert path of the bounded MemoryRefresh against the unbounded
// store it replaces (kept below as a reference: a map with a sweep of
// every entry each 1024 writes), on a clock that advances 1 µs a write,
// so that the store reaches a steady state of about 4096 live entries.
//
//	go test -run '^$' -bench 'MemoryInsert' -benchmem ./issuer
//
// BenchmarkMemoryInsertRatio interleaves the store with its reference in
// rounds of 1024 inserts (each holding one of the reference's sweeps) and
// reports the median of the per-round
// bounded/reference time ratios as "ratio", so that load on a shared
// machine affects both sides alike and a preempted round does not skew it.

// benchRefreshStore is a memory store whose bounds no benchmark reaches:
// the benchmarks that use it rotate one session far beyond a caller's
// share, and measure the code paths, not the bounds.
func benchRefreshStore() *MemoryRefresh {
	m, err := NewMemoryRefresh(MemoryRefreshConfig{MaxTokens: math.MaxInt, MaxTokensPerSubject: math.MaxInt})
	if err != nil {
		panic(err)
	}
	return m
}

func BenchmarkMemoryInsert(b *testing.B) {
	const ttl = 4096 * time.Microsecond
	hashes := make([][32]byte, 1<<16)
	for n := range hashes {
		hashes[n] = sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(n)))
	}
	ids := make([]string, 1<<16)
	for n := range ids {
		ids[n] = fmt.Sprint("fam-", n)
	}
	ctx := context.Background()

	b.Run("refresh/bounded", func(b *testing.B) {
		m, _ := NewMemoryRefresh(MemoryRefreshConfig{})
		var now time.Time
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			now = now.Add(time.Microsecond)
			k := n % len(ids)
			if err := m.Create(ctx, Family{ID: ids[k]}, RefreshRecord{Hash: hashes[k], FamilyID: ids[k], IssuedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
	b.Run("refresh/unbounded-reference", func(b *testing.B) {
		m := &unboundedRefresh{tokens: map[[32]byte]memToken{}, families: map[string]*memFamily{}}
		var now time.Time
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			now = now.Add(time.Microsecond)
			k := n % len(ids)
			if err := m.create(Family{ID: ids[k]}, RefreshRecord{Hash: hashes[k], FamilyID: ids[k], IssuedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
}

// unboundedRefresh is MemoryRefresh.Create without a bound: the reference
// the bounded store is measured against.
type unboundedRefresh struct {
	mu       sync.Mutex
	tokens   map[[32]byte]memToken
	families map[string]*memFamily
	writes   int
}

func (m *unboundedRefresh) create(f Family, rec RefreshRecord) error {
	f.ExpiresAt = rec.ExpiresAt
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.families[f.ID]; ok {
		return ErrFamilyExists
	}
	if _, ok := m.tokens[rec.Hash]; ok {
		return ErrFamilyExists
	}
	m.families[f.ID] = &memFamily{Family: f, current: rec.Hash}
	m.tokens[rec.Hash] = memToken{family: f.ID, expiresAt: rec.ExpiresAt}
	if m.writes++; m.writes >= 1024 {
		m.writes = 0
		now := rec.IssuedAt
		for h, t := range m.tokens {
			if !now.Before(t.expiresAt) {
				delete(m.tokens, h)
			}
		}
		for id, f := range m.families {
			if !now.Before(f.ExpiresAt) {
				delete(m.families, id)
			}
		}
	}
	return nil
}

func BenchmarkMemoryInsertRatio(b *testing.B) {
	const ttl = 4096 * time.Microsecond
	const round = 1024
	ctx := context.Background()
	hashes := make([][32]byte, 1<<16)
	ids := make([]string, 1<<16)
	for n := range hashes {
		hashes[n] = sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(n)))
		ids[n] = fmt.Sprint("fam-", n)
	}
	b.Run("refresh", func(b *testing.B) {
		m, _ := NewMemoryRefresh(MemoryRefreshConfig{})
		ref := &unboundedRefresh{tokens: map[[32]byte]memToken{}, families: map[string]*memFamily{}}
		var now, refNow time.Time
		var bounded, reference time.Duration
		var ratios []float64
		n := 0
		for b.Loop() {
			start := time.Now()
			for k := n; k < n+round; k++ {
				now = now.Add(time.Microsecond)
				i := k % len(ids)
				if err := m.Create(ctx, Family{ID: ids[i]}, RefreshRecord{Hash: hashes[i], FamilyID: ids[i], IssuedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
					b.Fatal(err)
				}
			}
			mid := time.Now()
			for k := n; k < n+round; k++ {
				refNow = refNow.Add(time.Microsecond)
				i := k % len(ids)
				if err := ref.create(Family{ID: ids[i]}, RefreshRecord{Hash: hashes[i], FamilyID: ids[i], IssuedAt: refNow, ExpiresAt: refNow.Add(ttl)}); err != nil {
					b.Fatal(err)
				}
			}
			rb, rr := mid.Sub(start), time.Since(mid)
			bounded += rb
			reference += rr
			ratios = append(ratios, float64(rb)/float64(rr))
			n += round
		}
		b.ReportMetric(median(ratios), "ratio")
		b.ReportMetric(float64(bounded)/float64(n), "bounded-ns/insert")
		b.ReportMetric(float64(reference)/float64(n), "reference-ns/insert")
	})
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
