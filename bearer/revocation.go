package bearer

import (
	"context"
	"errors"
	"sync"
	"time"
)

// MaxLeeway is the largest clock-skew allowance Config.Leeway may have. A
// revocation must be remembered until the token's expiry plus MaxLeeway, since
// a verifier with leeway still accepts the token that long.
const MaxLeeway = 5 * time.Minute

// A RevocationStore remembers revoked token ids ("jti"). Implementations must
// be safe for concurrent use, must remember a revocation at least until
// until+[MaxLeeway] (a zero until means forever) and may forget it after.
// IsRevoked runs on every authenticated request, cache hits included: it
// should be fast, and an error makes the request fail with 503, never pass.
type RevocationStore interface {
	// Revoke marks jti revoked; until is the token's own expiry.
	Revoke(ctx context.Context, jti string, until time.Time) error
	// IsRevoked reports whether jti was revoked.
	IsRevoked(ctx context.Context, jti string) (bool, error)
}

// SessionRevocationPrefix starts the revocation id of a whole session:
// revoking SessionRevocationID(sid) refuses every token whose "sid" claim is
// sid, however many were issued (bearer/issuer writes it when a refresh
// family is revoked). A token whose "jti" starts with it is refused when
// Config.Revocations is set, so a jti can never name a session.
const SessionRevocationPrefix = "sid:"

// SessionRevocationID returns the id under which a [RevocationStore]
// records the revocation of the session sid.
func SessionRevocationID(sid string) string { return SessionRevocationPrefix + sid }

// A MultiRevocationStore is a [RevocationStore] that answers for several
// ids in one call (one round trip for a network store). The Authenticator
// uses it, when its Revocations implements it, to check a token's "jti"
// and session together; otherwise it calls IsRevoked once per id.
type MultiRevocationStore interface {
	RevocationStore
	// RevokedAny reports whether at least one of ids is revoked. It must
	// not retain ids.
	RevokedAny(ctx context.Context, ids ...string) (bool, error)
}

// errEmptyJTI is returned by Revoke for an empty token id.
var errEmptyJTI = errors.New("bearer: empty token id")

// MemoryRevocations is the in-memory [MultiRevocationStore]. It is safe for
// concurrent use; entries are purged, a batch at a time, once their expiry
// plus [MaxLeeway] has passed. Its zero value is not usable: call
// [NewMemoryRevocations]. State is per process: use a shared store when
// several instances serve the same tokens.
type MemoryRevocations struct {
	now func() time.Time

	mu     sync.RWMutex
	m      map[string]time.Time // jti → until (zero: forever)
	writes int
}

// NewMemoryRevocations returns an empty store that reads the time from now
// (nil means time.Now).
func NewMemoryRevocations(now func() time.Time) *MemoryRevocations {
	if now == nil {
		now = time.Now
	}
	return &MemoryRevocations{now: now, m: make(map[string]time.Time)}
}

// Revoke marks jti revoked until until+MaxLeeway (forever when until is
// zero). Revoking again keeps the later expiry. An empty jti is an error.
func (s *MemoryRevocations) Revoke(ctx context.Context, jti string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if jti == "" {
		return errEmptyJTI
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[jti]; ok && (old.IsZero() || (!until.IsZero() && old.After(until))) {
		until = old
	}
	s.m[jti] = until
	if s.writes++; s.writes >= 1024 {
		s.writes = 0
		for k, u := range s.m {
			if !u.IsZero() && now.After(u.Add(MaxLeeway)) {
				delete(s.m, k)
			}
		}
	}
	return nil
}

// IsRevoked reports whether jti is revoked. It never fails.
func (s *MemoryRevocations) IsRevoked(_ context.Context, jti string) (bool, error) {
	s.mu.RLock()
	_, ok := s.m[jti]
	s.mu.RUnlock()
	return ok, nil
}

// RevokedAny reports whether any of ids is revoked, under one read lock.
// It never fails.
func (s *MemoryRevocations) RevokedAny(_ context.Context, ids ...string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range ids {
		if _, ok := s.m[id]; ok {
			return true, nil
		}
	}
	return false, nil
}

// Len returns the number of revocations held, for monitoring.
func (s *MemoryRevocations) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
