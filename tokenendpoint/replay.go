package tokenendpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/replay"
)

// A ReplayStore remembers single-use keys — the replay claim of every
// accepted jwt-bearer assertion (Config.ReplayClaim) — per client, for a
// limited time.
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
// pass tokenendpointtest.TestReplayStore.
type ReplayStore interface {
	Use(ctx context.Context, clientID, key string, ttl time.Duration) (fresh bool, err error)
}

// replayTTL is the lifetime of a spent assertion key: AssertionWindow +
// AssertionLeeway (an assertion is accepted from leeway before its "iat"
// to window after it) and replay.Margin, so that no instant at which the
// assertion is accepted finds its key expired.
func (ep *Endpoint) replayTTL() time.Duration { return ep.window + ep.leeway + replay.Margin }

// defaultMaxReplayKeys is MemoryReplayConfig.MaxKeys's default.
const defaultMaxReplayKeys = 1 << 16

// MemoryReplayConfig configures [NewMemoryReplay]. The zero value selects
// the defaults.
type MemoryReplayConfig struct {
	// MaxKeys bounds how many live keys the store holds. Size it above the
	// accepted assertions of one ttl (the endpoint's AssertionWindow +
	// AssertionLeeway + one second). Default: 65536 (about 15 MB with 64-byte keys, and
	// room for 200 accepted assertions a second under the default window
	// of five and a half minutes).
	MaxKeys int
	// MaxKeysPerClient bounds how many of them one client holds, so that
	// one client signing assertions in a loop exhausts its own share, not
	// the store. Default: a quarter of MaxKeys (16384 with its default: 50
	// assertions a second under the default window).
	MaxKeysPerClient int
	// Now is the clock; give it the endpoint's clock in tests. Default:
	// time.Now.
	Now func() time.Time
}

// MemoryReplay is the in-memory [ReplayStore]: a map from (client, key) to
// expiry behind one mutex, bounded by MaxKeys and, per client, by
// MaxKeysPerClient. Expired keys are forgotten before every write,
// earliest first (a min-heap of expiries keeps that at O(log n) a key). A
// live key is never forgotten to make room: when the store holds MaxKeys
// live keys, or the client MaxKeysPerClient, Use of a new key fails with
// [ErrStoreFull] (the token endpoint answers 503 and issues nothing) until
// the earliest of them expires; a replayed key is still recognised then.
// Only clients that hold a valid assertion key can write to it (the
// endpoint verifies the signature first).
//
// The zero value is not usable; call [NewMemoryReplay]. It is safe for concurrent use, fails only as
// [ReplayStore] documents, and holds state for one process only: behind
// several instances use a shared store, or a replayed assertion could be
// accepted once per instance.
type MemoryReplay struct{ m *replay.Memory }

// NewMemoryReplay returns an empty store configured by cfg; it fails with
// an error wrapping ErrConfig when a bound is negative.
func NewMemoryReplay(cfg MemoryReplayConfig) (*MemoryReplay, error) {
	if cfg.MaxKeys < 0 || cfg.MaxKeysPerClient < 0 {
		return nil, fmt.Errorf("%w: MemoryReplayConfig bounds %d, %d: negative", ErrConfig, cfg.MaxKeys, cfg.MaxKeysPerClient)
	}
	c := replay.Config{MaxKeys: cfg.MaxKeys, MaxKeysPerScope: cfg.MaxKeysPerClient, Now: cfg.Now,
		Full: ErrStoreFull, ScopeFull: ErrStoreFull, BadTTL: ErrReplayTTL}
	if c.MaxKeys == 0 {
		c.MaxKeys = defaultMaxReplayKeys
	}
	if c.MaxKeysPerScope == 0 {
		c.MaxKeysPerScope = max(c.MaxKeys/4, 1)
	}
	return &MemoryReplay{replay.New(c)}, nil
}

var _ ReplayStore = (*MemoryReplay)(nil)

// Use implements [ReplayStore]. It fails with [ErrStoreFull] when the key
// is new and the store holds MaxKeys live keys, or the client
// MaxKeysPerClient.
func (m *MemoryReplay) Use(ctx context.Context, clientID, key string, ttl time.Duration) (bool, error) {
	return m.m.Use(ctx, clientID, key, ttl)
}

// Len returns how many keys the store holds, expired ones not yet
// forgotten included, for tests and metrics.
func (m *MemoryReplay) Len() int { return m.m.Len() }
