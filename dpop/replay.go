package dpop

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/replay"
)

// A ReplayStore remembers the ids of accepted proofs, per key, for a
// limited time. It has the method set of tokenendpoint.ReplayStore, so one
// store (in memory, or redisstore's on Redis) serves both.
//
// Use atomically records key under scope with a lifetime of ttl and
// reports whether it was fresh: true the first time, false while an
// earlier record of the same (scope, key) pair is still alive. Of many
// concurrent calls with one pair exactly one is fresh, and the pair is
// compared exactly (("a:b", "c") and ("a", "b:c") are different pairs).
// The verifier calls it with scope "dpop:" followed by the proof key's
// thumbprint, the proof's "jti" as key and as ttl twice Config.Window and
// a second (the margin that keeps the last instant a proof is accepted
// inside its id's lifetime).
//
// Use returns an error, and fresh false, when ttl is not positive, when
// ctx is done or when the store failed; Verify then fails with
// [ErrUnavailable] and the caller answers 503. Implementations must be
// safe for concurrent use; tokenendpointtest.TestReplayStore checks them.
type ReplayStore interface {
	Use(ctx context.Context, scope, key string, ttl time.Duration) (fresh bool, err error)
}

// replayTTL is the lifetime of a spent proof id: twice Window (a proof is
// accepted while its "iat" lies within Window of the clock, either way)
// and replay.Margin, so that no instant at which the proof is accepted
// finds its id expired.
func (v *Verifier) replayTTL() time.Duration { return 2*v.window + replay.Margin }

// defaultMaxReplayKeys is MemoryReplayConfig.MaxKeys's default.
const defaultMaxReplayKeys = 1 << 18

// MemoryReplayConfig configures [NewMemoryReplay]. The zero value selects
// the defaults.
type MemoryReplayConfig struct {
	// MaxKeys bounds how many live proof ids the store holds. Size it
	// above the proofs accepted in twice the verifier's Window. Default:
	// 262144 (about 60 MB, and room for 2000 proofs a second under the
	// default window of one minute).
	MaxKeys int
	// MaxKeysPerScope bounds how many of them one scope (one proof key)
	// holds: a key over it has its proofs refused with ErrTooManyProofs
	// until its earliest ids expire, and the other keys go on. One key
	// then gets at most MaxKeysPerScope proofs per twice the verifier's
	// Window (about 136 a second with the defaults): raise it for busy
	// service clients. Default: MaxKeys/16.
	MaxKeysPerScope int
	// Now is the clock; give it the verifier's clock in tests. Default:
	// time.Now.
	Now func() time.Time
}

// MemoryReplay is the in-memory [ReplayStore]: a map from (scope, key) to
// expiry behind one mutex, bounded by MaxKeys and, per scope, by
// MaxKeysPerScope. Expired keys are forgotten before every write, earliest
// first. A live key is never forgotten to make room: when the store, or
// the scope, is full, Use of a new key fails with [ErrStoreFull] (Verify
// answers [ErrUnavailable]), or [ErrScopeFull] (Verify refuses that key's
// proof with [ErrTooManyProofs]), until the earliest of them expires; a
// replayed key is still recognised then.
//
// Anyone can make a key pair and sign proofs with it, so anyone can write
// to the store (one write per valid, fresh proof): put a rate limit in
// front of the verifier and size MaxKeys for the traffic it lets through.
//
// The zero value is not usable; call [NewMemoryReplay]. It is safe for
// concurrent use and holds state for one process only: behind several
// instances use a shared store, or a replayed proof could be accepted once
// per instance.
type MemoryReplay struct{ m *replay.Memory }

// NewMemoryReplay returns an empty store configured by cfg; it fails with
// an error wrapping [ErrConfig] when a bound is negative.
func NewMemoryReplay(cfg MemoryReplayConfig) (*MemoryReplay, error) {
	if cfg.MaxKeys < 0 || cfg.MaxKeysPerScope < 0 {
		return nil, fmt.Errorf("%w: MemoryReplayConfig bounds %d, %d: negative", ErrConfig, cfg.MaxKeys, cfg.MaxKeysPerScope)
	}
	c := replay.Config{MaxKeys: cfg.MaxKeys, MaxKeysPerScope: cfg.MaxKeysPerScope, Now: cfg.Now,
		Full: ErrStoreFull, ScopeFull: ErrScopeFull, BadTTL: ErrReplayTTL}
	if c.MaxKeys == 0 {
		c.MaxKeys = defaultMaxReplayKeys
	}
	if c.MaxKeysPerScope == 0 {
		c.MaxKeysPerScope = max(c.MaxKeys/16, 1)
	}
	return &MemoryReplay{replay.New(c)}, nil
}

var _ ReplayStore = (*MemoryReplay)(nil)

// Use implements [ReplayStore]. It fails with [ErrScopeFull] when the key
// is new and the scope holds MaxKeysPerScope live keys, [ErrStoreFull]
// when the store holds MaxKeys, and with [ErrReplayTTL] for a ttl that is
// not positive.
func (m *MemoryReplay) Use(ctx context.Context, scope, key string, ttl time.Duration) (bool, error) {
	return m.m.Use(ctx, scope, key, ttl)
}

// Len returns how many ids the store holds, expired ones not yet
// forgotten included, for tests and metrics.
func (m *MemoryReplay) Len() int { return m.m.Len() }
