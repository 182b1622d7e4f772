package issuer

import (
	"context"
	"slices"
	"sync"
	"time"
)

// sweepEvery is how many writes a MemoryRefresh lets pass between sweeps
// of expired tokens and families.
const sweepEvery = 1024

// MemoryRefresh is the in-memory [RefreshStore]: one mutex makes every
// method atomic, so concurrent rotations of one token have exactly one
// winner. It keeps, per family, the current token and the RefreshRing
// tokens rotated last; expired tokens and families are dropped by an
// amortised sweep on writes. The zero value is not usable; call [NewMemoryRefresh]. It is safe
// for concurrent use, never fails except as the interface documents, and
// holds state for one process only (use a shared store such as Redis behind
// several instances).
type MemoryRefresh struct {
	mu       sync.Mutex
	tokens   map[[32]byte]memToken
	families map[string]*memFamily
	writes   int
}

type memToken struct {
	family    string
	expiresAt time.Time
}

type memFamily struct {
	Family
	current [32]byte
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

// NewMemoryRefresh returns an empty in-memory refresh store.
func NewMemoryRefresh() *MemoryRefresh {
	return &MemoryRefresh{
		tokens:   make(map[[32]byte]memToken),
		families: make(map[string]*memFamily),
	}
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
	if _, ok := m.families[f.ID]; ok {
		return ErrFamilyExists
	}
	if _, ok := m.tokens[rec.Hash]; ok {
		return ErrFamilyExists
	}
	m.families[f.ID] = &memFamily{Family: f, current: rec.Hash}
	m.tokens[rec.Hash] = memToken{family: f.ID, expiresAt: rec.ExpiresAt}
	m.wrote(rec.IssuedAt)
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
	fam.rotated = append(fam.rotated, fam.current)
	if len(fam.rotated) > RefreshRing {
		delete(m.tokens, fam.rotated[0])
		fam.rotated = append(fam.rotated[:0], fam.rotated[1:]...)
	}
	if grace {
		fam.graced = true
	} else {
		fam.graceParent, fam.rotatedAt, fam.graced = oldHash, next.IssuedAt, false
	}
	fam.current, fam.parent = next.Hash, oldHash
	fam.ExpiresAt = exp
	m.tokens[next.Hash] = memToken{family: fam.ID, expiresAt: exp}
	m.wrote(next.IssuedAt)
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
		return Family{}, ErrFamilyNotFound
	}
	fam.Revoked = true
	return fam.snapshot(), nil
}

// Len returns how many token hashes the store holds (current and rotated
// ones not yet swept), for tests and metrics.
func (m *MemoryRefresh) Len() int {
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

// wrote counts a write and sweeps expired entries every sweepEvery writes.
// m.mu must be held.
func (m *MemoryRefresh) wrote(now time.Time) {
	m.writes++
	if m.writes < sweepEvery {
		return
	}
	m.writes = 0
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
