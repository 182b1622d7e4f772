package tokenendpoint

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// The insert path of the bounded MemoryReplay against the unbounded store
// it replaces (kept below as a reference: a map with a sweep of every
// entry each 1024 writes), on a clock that advances 1 µs a write, so that
// the store reaches a steady state of about 4096 live entries.
//
//	go test -run '^$' -bench 'MemoryInsert' -benchmem ./tokenendpoint
//
// BenchmarkMemoryInsertRatio interleaves the store with its reference in
// rounds of 1024 inserts (each holding one of the reference's sweeps) and
// reports the median of the per-round
// bounded/reference time ratios as "ratio", so that load on a shared
// machine affects both sides alike and a preempted round does not skew it.

func BenchmarkMemoryInsert(b *testing.B) {
	const ttl = 4096 * time.Microsecond
	keys := make([]string, 1<<16)
	for n := range keys {
		keys[n] = fmt.Sprint("nk-", n)
	}
	ctx := context.Background()

	b.Run("replay/bounded", func(b *testing.B) {
		var now time.Time
		m, _ := NewMemoryReplay(MemoryReplayConfig{Now: func() time.Time { return now }})
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			now = now.Add(time.Microsecond)
			if fresh, err := m.Use(ctx, "client", keys[n%len(keys)], ttl); err != nil || !fresh {
				b.Fatal(fresh, err)
			}
			n++
		}
	})
	b.Run("replay/unbounded-reference", func(b *testing.B) {
		var now time.Time
		m := &unboundedReplay{now: func() time.Time { return now }, keys: map[replayKey]time.Time{}}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			now = now.Add(time.Microsecond)
			if !m.use(keys[n%len(keys)], ttl) {
				b.Fatal("not fresh")
			}
			n++
		}
	})

}

// replayKey is the reference store's key.
type replayKey struct{ client, key string }

// unboundedReplay is MemoryReplay.Use without a bound: the reference the
// bounded store is measured against.
type unboundedReplay struct {
	now    func() time.Time
	mu     sync.Mutex
	keys   map[replayKey]time.Time
	writes int
}

func (m *unboundedReplay) use(key string, ttl time.Duration) bool {
	now := m.now()
	k := replayKey{"client", key}
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.keys[k]; ok && now.Before(exp) {
		return false
	}
	m.keys[k] = now.Add(ttl)
	if m.writes++; m.writes >= 1024 {
		m.writes = 0
		for k, exp := range m.keys {
			if !now.Before(exp) {
				delete(m.keys, k)
			}
		}
	}
	return true
}

func BenchmarkMemoryInsertRatio(b *testing.B) {
	const ttl = 4096 * time.Microsecond
	const round = 1024
	ctx := context.Background()
	keys := make([]string, 1<<16)
	for n := range keys {
		keys[n] = fmt.Sprint("nk-", n)
	}
	b.Run("replay", func(b *testing.B) {
		var now, refNow time.Time
		m, _ := NewMemoryReplay(MemoryReplayConfig{Now: func() time.Time { return now }})
		ref := &unboundedReplay{now: func() time.Time { return refNow }, keys: map[replayKey]time.Time{}}
		var bounded, reference time.Duration
		var ratios []float64
		n := 0
		for b.Loop() {
			start := time.Now()
			for k := n; k < n+round; k++ {
				now = now.Add(time.Microsecond)
				if fresh, err := m.Use(ctx, "client", keys[k%len(keys)], ttl); err != nil || !fresh {
					b.Fatal(fresh, err)
				}
			}
			mid := time.Now()
			for k := n; k < n+round; k++ {
				refNow = refNow.Add(time.Microsecond)
				if !ref.use(keys[k%len(keys)], ttl) {
					b.Fatal("not fresh")
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
