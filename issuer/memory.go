package issuer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/expiry"
)

// sweepEvery is how many writes a MemoryRefresh lets pass between purges
// of expired tokens and families while it has room.
const sweepEvery = 1024

// defaultMaxRefreshTokens is MemoryRefreshConfig.MaxTokens's default.
const defaultMaxRefreshTokens = 1 << 17

// MemoryRefreshConfig configures [NewMemoryRefresh]. The zero value
// selects the defaults.
type MemoryRefreshConfig struct {
	// MaxTokens bounds how many live token hashes the store holds, current
	// and rotated ones of every family. Each family holds at least one and
	// at most RefreshRing+1 (its current token and the rotated ones reuse
	// detection remembers), so it bounds the families too. Size it above
	// the sessions started within one RefreshTTL times a few tokens each.
	// Default: 131072 (about 27 MB, and up to 4 MB more of the expiry
	// entries of tokens a family's history no longer holds, which are
	// dropped in bulk).
	MaxTokens int
	// MaxTokensPerSubject bounds how many of them the families of one
	// subject (Session.Tenant and Session.Subject) hold, so that one
	// caller who logs in in a loop exhausts its own share, not the store
	// (a session refreshed in a loop holds at most RefreshRing+1).
	// Default: a quarter of MaxTokens (32768 with its default: about 1900
	// sessions whose rings are full).
	MaxTokensPerSubject int
}

// MemoryRefresh is the in-memory [RefreshStore]: one mutex makes every
// method atomic, so concurrent rotations of one token have exactly one
// winner. It keeps, per family, the current token and the RefreshRing
// tokens rotated last. It holds at most MaxTokens token hashes, and at
// most MaxTokensPerSubject for the sessions of one subject. Expired tokens
// are forgotten, earliest first (a min-heap of expiries), every 1024
// writes and before any write that finds its bound reached, and a family
// with them once its last token is gone. A live token — current or
// rotated, whose reuse must still be detected — is never forgotten to make
// room: when a bound is reached with live tokens, Create and Rotate fail
// with [ErrStoreFull] (login and refresh answer 503, and the presented
// refresh token stays valid) until the earliest of them expires. A Rotate
// of a family whose ring is full takes no room (the ring forgets its
// oldest token, as at every such rotation), so it succeeds at a bound.
//
// The zero value is not usable; call [NewMemoryRefresh]. It is safe for concurrent use, never fails except
// as the interface documents, and holds state for one process only (use a
// shared store such as Redis behind several instances).
type MemoryRefresh struct {
	mu         sync.Mutex
	max        int
	maxPerSubj int
	tokens     map[[32]byte]memToken
	families   map[string]*memFamily
	perSubject map[subjectKey]int // live tokens of each subject's families
	expiry     expiry.Queue[[32]byte]
	writes     int // since the last purge
}

type memToken struct {
	family    string
	expiresAt time.Time
}

type memFamily struct {
	Family
	current [32]byte
	tokens  int // how many of its tokens the store holds
	// rotated holds the hashes of the RefreshRing tokens rotated last,
	// oldest first; a token dropped from it is dropped from the store.
	rotated [][32]byte
	// graceParent is the token the last rotation that was not a grace
	// rotation replaced, at rotatedAt; graced is set once a grace
	// rotation used it (see RefreshStore.Rotate).
	graceParent [32]byte
	rotatedAt   time.Time
	graced      bool
	// parent is the token the rotation that made current replaced.
	parent [32]byte
}

// subjectKey names the subject a family's tokens count against.
type subjectKey struct{ tenant, subject string }

func (f *memFamily) owner() subjectKey { return subjectKey{f.Tenant, f.Subject} }

// NewMemoryRefresh returns an empty in-memory refresh store configured by
// cfg; it fails with an error wrapping ErrConfig when a bound is negative.
func NewMemoryRefresh(cfg MemoryRefreshConfig) (*MemoryRefresh, error) {
	if cfg.MaxTokens < 0 || cfg.MaxTokensPerSubject < 0 {
		return nil, fmt.Errorf("%w: MemoryRefreshConfig bounds %d, %d: negative", ErrConfig, cfg.MaxTokens, cfg.MaxTokensPerSubject)
	}
	m := &MemoryRefresh{
		max:        cfg.MaxTokens,
		maxPerSubj: cfg.MaxTokensPerSubject,
		tokens:     make(map[[32]byte]memToken),
		families:   make(map[string]*memFamily),
		perSubject: make(map[subjectKey]int),
	}
	if m.max == 0 {
		m.max = defaultMaxRefreshTokens
	}
	if m.maxPerSubj == 0 {
		m.maxPerSubj = max(m.max/4, 1)
	}
	return m, nil
}

var _ RefreshStore = (*MemoryRefresh)(nil)

// Create implements [RefreshStore].
func (m *MemoryRefresh) Create(ctx context.Context, f Family, rec RefreshRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.Scopes = slices.Clone(f.Scopes)
	f.ExpiresAt = rec.ExpiresAt
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wrote(rec.IssuedAt)
	if _, ok := m.families[f.ID]; ok {
		return ErrFamilyExists
	}
	if _, ok := m.tokens[rec.Hash]; ok {
		return ErrFamilyExists
	}
	fam := &memFamily{Family: f}
	if !m.room(fam.owner(), rec.IssuedAt) {
		return ErrStoreFull
	}
	m.families[f.ID] = fam
	m.add(fam, rec.Hash, rec.ExpiresAt)
	return nil
}

// Lookup implements [RefreshStore].
func (m *MemoryRefresh) Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (Family, error) {
	if err := ctx.Err(); err != nil {
		return Family{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fam, _, err := m.find(familyID, hash, now)
	if err != nil {
		return Family{}, err
	}
	return fam.snapshot(), nil
}

// Rotate implements [RefreshStore].
func (m *MemoryRefresh) Rotate(ctx context.Context, oldHash [32]byte, next RefreshRecord) (Family, error) {
	if err := ctx.Err(); err != nil {
		return Family{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wrote(next.IssuedAt)
	fam, _, err := m.find(next.FamilyID, oldHash, next.IssuedAt)
	switch {
	case err != nil:
		return Family{}, err
	case fam.Revoked:
		return fam.snapshot(), ErrFamilyRevoked
	case fam.current == next.Hash && fam.parent == oldHash:
		return fam.snapshot(), nil // this very rotation, repeated
	}
	grace := fam.current != oldHash
	if grace && !fam.inGrace(oldHash, next) {
		fam.Revoked = true
		return fam.snapshot(), ErrRefreshReused
	}
	exp := next.ExpiresAt
	if next.MaxAge > 0 {
		end := fam.CreatedAt.Add(next.MaxAge)
		if !next.IssuedAt.Before(end) {
			return Family{}, ErrRefreshNotFound
		}
		if end.Before(exp) {
			exp = end
		}
	}
	if _, taken := m.tokens[next.Hash]; taken {
		return Family{}, ErrFamilyExists
	}
	// A rotation that forgets the oldest token of a full ring holds as
	// many tokens after as before: it needs no room.
	if !m.ringFull(fam) && !m.room(fam.owner(), next.IssuedAt) {
		return Family{}, ErrStoreFull
	}
	fam.rotated = append(fam.rotated, fam.current)
	if len(fam.rotated) > RefreshRing {
		m.drop(fam, fam.rotated[0])
		fam.rotated = append(fam.rotated[:0], fam.rotated[1:]...)
	}
	if grace {
		fam.graced = true
	} else {
		fam.graceParent, fam.rotatedAt, fam.graced = oldHash, next.IssuedAt, false
	}
	fam.parent = oldHash
	fam.ExpiresAt = exp
	m.add(fam, next.Hash, exp)
	return fam.snapshot(), nil
}

// RevokeFamily implements [RefreshStore].
func (m *MemoryRefresh) RevokeFamily(ctx context.Context, id string) (Family, error) {
	if err := ctx.Err(); err != nil {
		return Family{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fam, ok := m.families[id]
	if !ok {
		return Family{}, ErrRefreshNotFound
	}
	fam.Revoked = true
	return fam.snapshot(), nil
}

// len returns how many token hashes the store holds (current and rotated
// ones, expired ones not yet forgotten included).
func (m *MemoryRefresh) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tokens)
}

// find returns the family familyID when hash is one of its unexpired
// tokens. m.mu must be held.
func (m *MemoryRefresh) find(familyID string, hash [32]byte, now time.Time) (*memFamily, memToken, error) {
	tok, ok := m.tokens[hash]
	if !ok || tok.family != familyID || !now.Before(tok.expiresAt) {
		return nil, memToken{}, ErrRefreshNotFound
	}
	fam, ok := m.families[tok.family]
	if !ok {
		return nil, memToken{}, ErrRefreshNotFound
	}
	return fam, tok, nil
}

// ringFull reports whether a rotation of fam forgets the oldest of its
// RefreshRing rotated tokens, which the store still holds. m.mu must be
// held.
func (m *MemoryRefresh) ringFull(fam *memFamily) bool {
	if len(fam.rotated) < RefreshRing {
		return false
	}
	tok, ok := m.tokens[fam.rotated[0]]
	return ok && tok.family == fam.ID
}

// room reports whether one more token of owner's fits, purging the
// expired ones first when a bound is reached. m.mu must be held.
func (m *MemoryRefresh) room(owner subjectKey, now time.Time) bool {
	if len(m.tokens) < m.max && m.perSubject[owner] < m.maxPerSubj {
		return true
	}
	m.writes = 0
	m.purge(now)
	return len(m.tokens) < m.max && m.perSubject[owner] < m.maxPerSubj
}

// add stores hash as fam's current token, expiring at exp. m.mu must be
// held.
func (m *MemoryRefresh) add(fam *memFamily, hash [32]byte, exp time.Time) {
	fam.current = hash
	fam.tokens++
	m.perSubject[fam.owner()]++
	m.tokens[hash] = memToken{family: fam.ID, expiresAt: exp}
	m.expiry.Push(hash, exp)
}

// wrote counts a write about to happen at now and purges expired tokens
// every sweepEvery writes. m.mu must be held.
func (m *MemoryRefresh) wrote(now time.Time) {
	if m.writes++; m.writes < sweepEvery {
		return
	}
	m.writes = 0
	m.purge(now)
}

// purge forgets every token expired at now, and each family whose last
// token that was. m.mu must be held.
func (m *MemoryRefresh) purge(now time.Time) {
	m.expiry.PopExpired(now, func(h [32]byte, at time.Time) {
		tok, ok := m.tokens[h]
		if !ok || !tok.expiresAt.Equal(at) {
			return
		}
		delete(m.tokens, h)
		if fam, ok := m.families[tok.family]; ok && m.release(fam) {
			delete(m.families, tok.family)
		}
	})
}

// drop forgets hash, a rotated token of fam, before it expires. Its
// expiry entry stays in the queue until the queue holds half as many
// such entries as live tokens (and 64 more); then the queue is rid of
// them all, so that a session refreshed in a loop does not grow it. m.mu
// must be held.
func (m *MemoryRefresh) drop(fam *memFamily, hash [32]byte) {
	if tok, ok := m.tokens[hash]; ok && tok.family == fam.ID {
		delete(m.tokens, hash)
		m.release(fam)
	}
	if live := len(m.tokens); m.expiry.Len() > live+live/2+64 {
		m.expiry.Keep(func(h [32]byte, at time.Time) bool {
			tok, ok := m.tokens[h]
			return ok && tok.expiresAt.Equal(at)
		})
	}
}

// release uncounts one token of fam that the store forgot, and reports
// whether it was fam's last. m.mu must be held.
func (m *MemoryRefresh) release(fam *memFamily) bool {
	owner := fam.owner()
	if m.perSubject[owner]--; m.perSubject[owner] <= 0 {
		delete(m.perSubject, owner)
	}
	fam.tokens--
	return fam.tokens <= 0
}

// inGrace reports whether presenting the rotated token oldHash for next is
// the one retry the reuse grace allows (see RefreshStore.Rotate).
func (f *memFamily) inGrace(oldHash [32]byte, next RefreshRecord) bool {
	return next.ReuseGrace > 0 && !f.graced && oldHash == f.graceParent &&
		next.IssuedAt.Before(f.rotatedAt.Add(next.ReuseGrace))
}

func (f *memFamily) snapshot() Family {
	c := f.Family
	c.Scopes = slices.Clone(f.Scopes)
	return c
}
