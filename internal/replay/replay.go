// Package replay is the in-memory store of single-use keys that
// tokenendpoint (assertion ids) and dpop (proof ids) share: a map from
// (scope, key) to expiry, bounded overall and per scope, that forgets
// expired keys before every write and never forgets a live one to make
// room.
package replay

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/expiry"
)

// Config configures a [Memory]. The bounds and errors are required: the
// packages that wrap it apply their own defaults.
type Config struct {
	MaxKeys, MaxKeysPerScope int
	Now                      func() time.Time // default: time.Now
	// The errors Use returns: the store is full, the scope is full, the
	// ttl is not positive.
	Full, ScopeFull, BadTTL error
}

// Memory is the store. It is safe for concurrent use.
type Memory struct {
	cfg      Config
	mu       sync.Mutex
	keys     map[key]time.Time // expiry
	perScope map[string]int    // live keys of each scope
	expiry   expiry.Queue[key]
}

type key struct{ scope, key string }

// Margin is what the packages that spend a key add to the longest time a
// proof or an assertion carrying it can be accepted, to make the key's
// lifetime: the last instant it can be accepted then lies strictly inside
// that lifetime, whatever the rounding of the clock it was checked
// against, the store's expiry resolution and the time the write took. A
// lifetime of exactly that time would expire the key at the instant its
// proof is still accepted once more.
const Margin = time.Second

// New returns an empty store.
func New(cfg Config) *Memory {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Memory{cfg: cfg, keys: make(map[key]time.Time), perScope: make(map[string]int)}
}

// Use records key in scope until now+ttl and reports whether it was new
// (false for a live key: a replay). A new key fails with cfg.ScopeFull
// when its scope holds MaxKeysPerScope live keys, cfg.Full when the store
// holds MaxKeys; a ttl that is not positive with cfg.BadTTL.
func (m *Memory) Use(ctx context.Context, scope, k string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, m.cfg.BadTTL
	}
	now := m.cfg.Now()
	kk := key{scope, k}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expiry.PopExpired(now, m.forget)
	exp, held := m.keys[kk]
	if held && now.Before(exp) {
		return false, nil
	}
	if !held {
		switch {
		case m.perScope[scope] >= m.cfg.MaxKeysPerScope:
			return false, m.cfg.ScopeFull
		case len(m.keys) >= m.cfg.MaxKeys:
			return false, m.cfg.Full
		}
		m.perScope[scope]++
	}
	exp = now.Add(ttl)
	m.keys[kk] = exp
	m.expiry.Push(kk, exp)
	return true, nil
}

// forget drops k if at is still its expiry (it is not when k was written
// again after at). m.mu must be held.
func (m *Memory) forget(k key, at time.Time) {
	if exp, ok := m.keys[k]; ok && exp.Equal(at) {
		delete(m.keys, k)
		if m.perScope[k.scope]--; m.perScope[k.scope] <= 0 {
			delete(m.perScope, k.scope)
		}
	}
}

// Len returns how many keys the store holds, expired ones not yet
// forgotten included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
