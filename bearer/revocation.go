package bearer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// MaxLeeway is the largest clock-skew allowance Config.Leeway may have. A
// revocation must be remembered until the token's expiry plus MaxLeeway, since
// a verifier with leeway still accepts the token that long.
const MaxLeeway = 5 * time.Minute

// A TokenRef is what a revocation check asks about one token: the claims a
// revocation can name, and the Principal the token stands for.
type TokenRef struct {
	Subject   string // the "sub" claim; empty when the token has none
	ID        string // the "jti" claim
	SessionID string // the "sid" claim; empty when the token has none
	IssuedAt  int64  // the "iat" claim in Unix seconds; 0 when the token has none
	// Principal is the Principal the token authenticates unless it is
	// revoked; nil when the caller has none (the issuer's check of a
	// refresh session). It does not change the answer: it lets a store
	// read, in the revocation check's round trip, what the rest of the
	// request will ask about this principal (redisstore reads its
	// allowlist). The Authenticator shares it with every request that
	// presents the same token: a store reads it during Revoked and
	// neither changes nor keeps it.
	Principal *gatehouse.Principal
}

// A RevocationStore remembers revocations of three kinds, each scoped to
// one subject (the "sub" claim): a token (its "jti"), a session (every
// token whose "sid" is the session id) and a whole subject (every token
// issued at or before a not-before instant). Revoked answers for all three
// at once and runs on every request authenticated with a JWT, cache hits
// included: it must be one read (one round trip for a network store), and
// an error makes the request fail with 503, never pass. (An opaque token
// is revoked in its TokenStore record instead.)
//
// A store must remember each revocation at least until its until plus
// [MaxLeeway] (a zero until means forever) and may forget it after. It
// must be safe for concurrent use and pass bearertest.TestRevocationStore.
//
// Subject revocation compares whole seconds, the resolution of "iat": a
// token is revoked when its IssuedAt is at or before notBefore.Unix(). A
// token issued in the same second as the revocation is therefore refused
// whether it was issued just before or just after it — the safe side,
// since the two cannot be told apart — and a token without "iat"
// (IssuedAt 0) is refused once its subject has a not-before. Sign in again
// a second later to get a token that passes.
type RevocationStore interface {
	// RevokeToken revokes the token jti of subject; until is the token's
	// own expiry. Revoking again keeps the later until.
	RevokeToken(ctx context.Context, subject, jti string, until time.Time) error
	// RevokeSession revokes every token of subject whose "sid" is sid;
	// until is the expiry of the last token the session can have issued.
	// Revoking again keeps the later until.
	RevokeSession(ctx context.Context, subject, sid string, until time.Time) error
	// RevokeSubject revokes every token of subject issued at or before
	// notBefore (in whole seconds, see above); until is the expiry of the
	// last token issued before it. A later notBefore replaces an earlier
	// one, never the reverse, and the later until is kept.
	RevokeSubject(ctx context.Context, subject string, notBefore, until time.Time) error
	// Revoked reports whether t is revoked: by its ID, by its SessionID
	// when not empty, or by its subject's not-before. It must not retain t.
	Revoked(ctx context.Context, t *TokenRef) (bool, error)
}

// Refusals of the Revoke methods, shared by the stores of this module.
var (
	errEmptyJTI     = errors.New("bearer: empty token id")
	errEmptySID     = errors.New("bearer: empty session id")
	errEmptySubject = errors.New("bearer: empty subject")
)

// MemoryRevocations is the in-memory [RevocationStore]. It is safe for
// concurrent use; entries are purged, a batch at a time, once their expiry
// plus [MaxLeeway] has passed. Revocations are filed by subject, so that a
// check of a token whose subject has none costs one map lookup. Its zero
// value is not usable: call [NewMemoryRevocations]. State is per process:
// use a shared store when several instances serve the same tokens.
type MemoryRevocations struct {
	now func() time.Time

	mu       sync.RWMutex
	subjects map[string]*subjectRevocations
	n        int // revocations held
	writes   int
}

// subjectRevocations are the revocations of one subject. A zero until
// means forever.
type subjectRevocations struct {
	tokens    map[string]time.Time // jti → until
	sessions  map[string]time.Time // sid → until
	hasNBF    bool
	notBefore int64 // Unix seconds: tokens with iat <= notBefore are revoked
	nbfUntil  time.Time
}

// NewMemoryRevocations returns an empty store that reads the time from now
// (nil means time.Now).
func NewMemoryRevocations(now func() time.Time) *MemoryRevocations {
	if now == nil {
		now = time.Now
	}
	return &MemoryRevocations{now: now, subjects: make(map[string]*subjectRevocations)}
}

// laterUntil returns the later of two untils, a zero one (forever) being
// the latest.
func laterUntil(a, b time.Time) time.Time {
	if a.IsZero() || b.IsZero() {
		return time.Time{}
	}
	if a.After(b) {
		return a
	}
	return b
}

// RevokeToken implements [RevocationStore]. An empty jti is an error.
func (s *MemoryRevocations) RevokeToken(ctx context.Context, subject, jti string, until time.Time) error {
	if jti == "" {
		return errEmptyJTI
	}
	return s.write(ctx, subject, func(r *subjectRevocations) {
		if r.tokens == nil {
			r.tokens = make(map[string]time.Time)
		}
		s.put(r.tokens, jti, until)
	})
}

// RevokeSession implements [RevocationStore]. An empty sid is an error.
func (s *MemoryRevocations) RevokeSession(ctx context.Context, subject, sid string, until time.Time) error {
	if sid == "" {
		return errEmptySID
	}
	return s.write(ctx, subject, func(r *subjectRevocations) {
		if r.sessions == nil {
			r.sessions = make(map[string]time.Time)
		}
		s.put(r.sessions, sid, until)
	})
}

// RevokeSubject implements [RevocationStore]. An empty subject is an error.
func (s *MemoryRevocations) RevokeSubject(ctx context.Context, subject string, notBefore, until time.Time) error {
	if subject == "" {
		return errEmptySubject
	}
	return s.write(ctx, subject, func(r *subjectRevocations) {
		nbf := notBefore.Unix()
		if !r.hasNBF {
			r.hasNBF, r.notBefore, r.nbfUntil = true, nbf, until
			s.n++
			return
		}
		r.notBefore = max(r.notBefore, nbf)
		r.nbfUntil = laterUntil(r.nbfUntil, until)
	})
}

// put records id until until in m, keeping a later until already there.
// The caller holds s.mu.
func (s *MemoryRevocations) put(m map[string]time.Time, id string, until time.Time) {
	if old, ok := m[id]; ok {
		until = laterUntil(old, until)
	} else {
		s.n++
	}
	m[id] = until
}

// write applies f to subject's revocations under the write lock, and every
// 1024 writes purges what has expired.
func (s *MemoryRevocations) write(ctx context.Context, subject string, f func(*subjectRevocations)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.subjects[subject]
	if r == nil {
		r = &subjectRevocations{}
		s.subjects[subject] = r
	}
	f(r)
	if s.writes++; s.writes >= 1024 {
		s.writes = 0
		s.purgeLocked(now)
	}
	return nil
}

// purgeLocked drops every revocation whose until plus MaxLeeway is past.
func (s *MemoryRevocations) purgeLocked(now time.Time) {
	expired := func(u time.Time) bool { return !u.IsZero() && now.After(u.Add(MaxLeeway)) }
	for sub, r := range s.subjects {
		for _, m := range [...]map[string]time.Time{r.tokens, r.sessions} {
			for id, u := range m {
				if expired(u) {
					delete(m, id)
					s.n--
				}
			}
		}
		if r.hasNBF && expired(r.nbfUntil) {
			r.hasNBF = false
			s.n--
		}
		if len(r.tokens) == 0 && len(r.sessions) == 0 && !r.hasNBF {
			delete(s.subjects, sub)
		}
	}
}

// Revoked implements [RevocationStore] under one read lock: one map
// lookup when the token's subject has no revocation. It never fails.
func (s *MemoryRevocations) Revoked(_ context.Context, t *TokenRef) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.subjects[t.Subject]
	if r == nil {
		return false, nil
	}
	if r.hasNBF && t.IssuedAt <= r.notBefore {
		return true, nil
	}
	if _, ok := r.tokens[t.ID]; ok && t.ID != "" {
		return true, nil
	}
	if _, ok := r.sessions[t.SessionID]; ok && t.SessionID != "" {
		return true, nil
	}
	return false, nil
}

// Len returns the number of revocations held, for monitoring.
func (s *MemoryRevocations) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.n
}
