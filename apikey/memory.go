package apikey

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
)

// MemoryStore is the in-memory [Store]: a map from key hash to record,
// safe for concurrent use. Lookups take a read lock and return a shared,
// immutable snapshot of the record, so they never allocate; Revoke and
// Touch replace the snapshot (copy on write) rather than change it. Each
// snapshot also holds the Principal an [Authenticator] hands to handlers
// for the key, built once, so authenticating with it allocates nothing
// for the Principal either.
//
// The zero MemoryStore is not usable; call [NewMemoryStore]. Its contents
// live in one process: deployments with several instances use a shared
// store (such as a Redis implementation) instead.
type MemoryStore struct {
	mu     sync.RWMutex
	byHash map[[32]byte]*memEntry
	byID   map[string]*memEntry
}

type memEntry struct {
	hash [32]byte
	snap atomic.Pointer[snapshot]
}

// A snapshot is one immutable version of a stored record (Hash always
// zero) and the Principal built from it, whose Claims views &rec.
type snapshot struct {
	rec Record
	p   gatehouse.Principal
}

// newSnapshot returns a snapshot of rec, which it takes over.
func newSnapshot(rec Record) *snapshot {
	s := &snapshot{rec: rec}
	s.p = newPrincipal(&s.rec)
	return s
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		byHash: make(map[[32]byte]*memEntry),
		byID:   make(map[string]*memEntry),
	}
}

var _ Store = (*MemoryStore)(nil)

// Lookup implements [Store]. The map finds the entry by the full hash; the
// match is then confirmed with subtle.ConstantTimeCompare.
func (m *MemoryStore) Lookup(_ context.Context, hash [32]byte) (*Record, error) {
	snap := m.find(hash)
	if snap == nil {
		return nil, ErrKeyNotFound
	}
	return &snap.rec, nil
}

// lookupPrincipal is Lookup that also returns the snapshot's Principal;
// it makes MemoryStore a [principalStore].
func (m *MemoryStore) lookupPrincipal(_ context.Context, hash [32]byte) (*Record, *gatehouse.Principal, error) {
	snap := m.find(hash)
	if snap == nil {
		return nil, nil, ErrKeyNotFound
	}
	return &snap.rec, &snap.p, nil
}

// find returns the current snapshot stored under hash, or nil.
func (m *MemoryStore) find(hash [32]byte) *snapshot {
	m.mu.RLock()
	e := m.byHash[hash]
	m.mu.RUnlock()
	if e == nil || subtle.ConstantTimeCompare(e.hash[:], hash[:]) != 1 {
		return nil
	}
	return e.snap.Load()
}

// Put implements [Store]. It stores a copy of rec whose Scopes are
// normalised with [gatehouse.AppendScopes] (no empty or duplicate scopes).
func (m *MemoryStore) Put(_ context.Context, rec Record) error {
	if rec.ID == "" || rec.Hash == ([32]byte{}) {
		return fmt.Errorf("%w: ID and Hash are required", ErrInvalidRecord)
	}
	e := &memEntry{hash: rec.Hash}
	e.snap.Store(newSnapshot(cloneRecord(rec)))

	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.byID[rec.ID]; dup {
		return fmt.Errorf("%w: id %q", ErrDuplicateKey, rec.ID)
	}
	if _, dup := m.byHash[rec.Hash]; dup {
		return fmt.Errorf("%w: hash already stored", ErrDuplicateKey)
	}
	m.byHash[rec.Hash] = e
	m.byID[rec.ID] = e
	return nil
}

// Add stores a record for the existing plaintext key: it sets rec.Hash to
// Hash(key), rec.Prefix to DisplayPrefix(key) when empty and rec.ID to a
// fresh [NewID] when empty, and returns the stored record (with its Hash).
// It is how keys issued elsewhere (fixed keys from configuration, keys
// migrated from another system) are imported; new keys come from
// [Generate]. The key is not retained.
func (m *MemoryStore) Add(ctx context.Context, key string, rec Record) (Record, error) {
	if key == "" {
		return Record{}, fmt.Errorf("%w: empty key", ErrInvalidRecord)
	}
	rec.Hash = Hash(key)
	if rec.Prefix == "" {
		rec.Prefix = DisplayPrefix(key)
	}
	if rec.ID == "" {
		id, err := NewID()
		if err != nil {
			return Record{}, err
		}
		rec.ID = id
	}
	if err := m.Put(ctx, rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// Revoke implements [Store].
func (m *MemoryStore) Revoke(_ context.Context, id string, at time.Time) error {
	return m.update(id, func(r *Record) bool {
		if r.Revoked {
			return false
		}
		r.Revoked, r.RevokedAt = true, at
		return true
	})
}

// Touch implements [Store].
func (m *MemoryStore) Touch(_ context.Context, id string, at time.Time) error {
	return m.update(id, func(r *Record) bool {
		if !at.After(r.LastUsed) {
			return false
		}
		r.LastUsed = at
		return true
	})
}

// Delete implements [Store].
func (m *MemoryStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[id]
	if e == nil {
		return fmt.Errorf("%w: id %q", ErrKeyNotFound, id)
	}
	delete(m.byID, id)
	delete(m.byHash, e.hash)
	return nil
}

// Get returns a copy of the record with the given ID (Hash zero), for
// administration screens; an absent ID is an error wrapping ErrKeyNotFound.
func (m *MemoryStore) Get(_ context.Context, id string) (Record, error) {
	m.mu.RLock()
	e := m.byID[id]
	m.mu.RUnlock()
	if e == nil {
		return Record{}, fmt.Errorf("%w: id %q", ErrKeyNotFound, id)
	}
	return cloneRecord(e.snap.Load().rec), nil
}

// update applies change to a copy of the record with the given ID and
// publishes the copy when change reports a modification. Concurrent
// updates retry, so none is lost.
func (m *MemoryStore) update(id string, change func(*Record) bool) error {
	m.mu.RLock()
	e := m.byID[id]
	m.mu.RUnlock()
	if e == nil {
		return fmt.Errorf("%w: id %q", ErrKeyNotFound, id)
	}
	for {
		old := e.snap.Load()
		next := old.rec // slices are shared: snapshots never modify them
		if !change(&next) {
			return nil
		}
		if e.snap.CompareAndSwap(old, newSnapshot(next)) {
			return nil
		}
	}
}

// cloneRecord returns a copy of r that shares no memory with it and has a
// zero Hash. Slices are clipped so that an append by a reader copies.
func cloneRecord(r Record) Record {
	r.Hash = [32]byte{}
	r.Scopes = slices.Clip(gatehouse.AppendScopes(nil, r.Scopes))
	r.Surfaces = slices.Clip(slices.Clone(r.Surfaces))
	return r
}
