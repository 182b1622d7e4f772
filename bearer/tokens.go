package bearer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"
)

// A TokenRecord describes an opaque bearer token. It never holds the token
// itself: stores index records by the token's SHA-256 ([HashToken]).
type TokenRecord struct {
	ID        string    // stable, non-secret identifier; becomes Principal.TokenID
	Subject   string    // the caller
	Tenant    string    // the account the token acts for
	ClientID  string    // the client application, if any
	Scopes    []string  // granted scopes
	ExpiresAt time.Time // zero: never expires
	Revoked   bool      // a revoked token is refused
}

// A TokenStore finds opaque tokens by the SHA-256 of their value.
// Implementations must be safe for concurrent use, return [ErrTokenNotFound]
// (possibly wrapped) for an unknown hash, and return any other error when
// they cannot answer — the request then fails with 503.
type TokenStore interface {
	LookupToken(ctx context.Context, hash [32]byte) (TokenRecord, error)
}

// HashToken returns the SHA-256 of token, the key under which opaque tokens
// are stored and looked up.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

var (
	errEmptyToken = errors.New("bearer: empty token")
	errEmptyID    = errors.New("bearer: token record has no ID")
)

// MemoryTokens is the in-memory [TokenStore]. It keeps only the SHA-256 of
// each token, compares hashes in constant time, and is safe for concurrent
// use. Its zero value is not usable: call [NewMemoryTokens].
type MemoryTokens struct {
	mu     sync.RWMutex
	bucket map[uint64][]*tokenEntry // first 8 hash bytes → entries
	byID   map[string]*tokenEntry
}

type tokenEntry struct {
	hash [32]byte
	rec  TokenRecord
}

// NewMemoryTokens returns an empty store.
func NewMemoryTokens() *MemoryTokens {
	return &MemoryTokens{bucket: make(map[uint64][]*tokenEntry), byID: make(map[string]*tokenEntry)}
}

func prefix(h [32]byte) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// LookupToken returns the record stored for hash, or ErrTokenNotFound. The
// full hash is compared in constant time; the returned record is a copy.
func (s *MemoryTokens) LookupToken(ctx context.Context, hash [32]byte) (TokenRecord, error) {
	if err := ctx.Err(); err != nil {
		return TokenRecord{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found *tokenEntry
	for _, e := range s.bucket[prefix(hash)] {
		if subtle.ConstantTimeCompare(e.hash[:], hash[:]) == 1 {
			found = e
		}
	}
	if found == nil {
		return TokenRecord{}, ErrTokenNotFound
	}
	rec := found.rec
	rec.Scopes = slices.Clone(rec.Scopes)
	return rec, nil
}

// Put stores rec under hash, replacing the record of the same hash. rec.ID
// must be non-empty and not used by another token ([ErrDuplicateTokenID]).
func (s *MemoryTokens) Put(ctx context.Context, hash [32]byte, rec TokenRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rec.ID == "" {
		return errEmptyID
	}
	rec.Scopes = slices.Clone(rec.Scopes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[rec.ID]; ok && e.hash != hash {
		return ErrDuplicateTokenID
	}
	p := prefix(hash)
	for _, e := range s.bucket[p] {
		if e.hash == hash {
			delete(s.byID, e.rec.ID)
			e.rec = rec
			s.byID[rec.ID] = e
			return nil
		}
	}
	e := &tokenEntry{hash: hash, rec: rec}
	s.bucket[p] = append(s.bucket[p], e)
	s.byID[rec.ID] = e
	return nil
}

// Add stores rec for the plaintext token, keeping only its hash. It is
// Put(ctx, HashToken(token), rec).
func (s *MemoryTokens) Add(ctx context.Context, token string, rec TokenRecord) error {
	if token == "" {
		return errEmptyToken
	}
	return s.Put(ctx, HashToken(token), rec)
}

// RevokeToken marks the token with record id revoked, or returns
// ErrTokenNotFound.
func (s *MemoryTokens) RevokeToken(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return ErrTokenNotFound
	}
	e.rec.Revoked = true
	return nil
}

// DeleteToken removes the token with record id, or returns ErrTokenNotFound.
func (s *MemoryTokens) DeleteToken(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return ErrTokenNotFound
	}
	delete(s.byID, id)
	p := prefix(e.hash)
	s.bucket[p] = slices.DeleteFunc(s.bucket[p], func(x *tokenEntry) bool { return x == e })
	if len(s.bucket[p]) == 0 {
		delete(s.bucket, p)
	}
	return nil
}
