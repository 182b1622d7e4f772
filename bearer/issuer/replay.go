package issuer

import (
	"context"
	"errors"
	"sync"
	"time"
)

// A ReplayStore remembers single-use keys — the notificationKey of every
// accepted jwt-bearer assertion — per client, for a limited time.
//
// Use atomically records key for clientID with a lifetime of ttl and
// reports whether it was fresh: true the first time, false while an earlier
// record of the same (clientID, key) pair is still alive. It is one atomic
// step (SET key NX PX ttl in Redis), so of many concurrent calls with one
// pair exactly one is fresh. The pair is compared exactly: ("a:b", "c") and
// ("a", "b:c") are different pairs, so an implementation that joins them
// into one string must do so unambiguously (length-prefixed, or a
// separator that cannot occur, or a hash of the length-prefixed pair).
//
// Use returns an error, and fresh false, when ttl is not positive, when ctx
// is done or when the store failed; the token endpoint then answers 503 and
// never issues a token. Implementations must be safe for concurrent use and
// pass issuertest.TestReplayStore.
type ReplayStore interface {
	Use(ctx context.Context, clientID, key string, ttl time.Duration) (fresh bool, err error)
}

// ErrReplayTTL is returned by [MemoryReplay.Use] for a ttl that is not
// positive.
var ErrReplayTTL = errors.New("issuer: replay ttl must be positive")

// replaySweepEvery is how many writes a MemoryReplay lets pass between
// sweeps of expired keys.
const replaySweepEvery = 1024

// MemoryReplay is the in-memory [ReplayStore]: a map from (client, key) to
// expiry behind one mutex. Expired keys are forgotten by an amortised sweep
// every 1024 writes, so the map holds at most the keys written within the
// longest ttl plus 1024. Only clients that hold a valid assertion key can
// write to it (the endpoint verifies the signature first).
//
// The zero value is not usable; call [NewMemoryReplay]. It is safe for
// concurrent use, fails only as [ReplayStore] documents, and holds state
// for one process only: behind several instances use a shared store, or a
// replayed assertion could be accepted once per instance.
type MemoryReplay struct {
	now    func() time.Time
	mu     sync.Mutex
	keys   map[replayKey]time.Time // expiry
	writes int
}

type replayKey struct{ client, key string }

// NewMemoryReplay returns an empty store reading time from now (nil means
// time.Now). Give it the issuer's clock in tests.
func NewMemoryReplay(now func() time.Time) *MemoryReplay {
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{now: now, keys: make(map[replayKey]time.Time)}
}

var _ ReplayStore = (*MemoryReplay)(nil)

// Use implements [ReplayStore].
func (m *MemoryReplay) Use(ctx context.Context, clientID, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, ErrReplayTTL
	}
	now := m.now()
	k := replayKey{clientID, key}
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.keys[k]; ok && now.Before(exp) {
		return false, nil
	}
	m.keys[k] = now.Add(ttl)
	if m.writes++; m.writes >= replaySweepEvery {
		m.writes = 0
		for k, exp := range m.keys {
			if !now.Before(exp) {
				delete(m.keys, k)
			}
		}
	}
	return true, nil
}

// Len returns how many keys the store holds, expired ones not yet swept
// included, for tests and metrics.
func (m *MemoryReplay) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
