package ipallow

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
)

// A ListStore holds each account's own allowlist. An account without
// entries (an unknown account included) has an empty list, which allows
// every address; that is a nil slice and a nil error, not an error.
//
// Implementations must be safe for concurrent use and must not let callers
// modify their stored lists through returned slices. An error (the store is
// unreachable, the context is done) makes the check fail closed with 503.
type ListStore interface {
	AllowList(ctx context.Context, account string) ([]netip.Prefix, error)
}

// A ListEditor is a [ListStore] whose lists can be replaced. Set stores
// prefixes (masked to their networks) as the account's whole list; an empty
// or nil slice removes the list, allowing every address again. An invalid
// prefix is an error wrapping [ErrInvalidPrefix] and leaves the stored list
// unchanged. The conformance kit ipallowtest.TestListStore checks
// implementations against this contract.
type ListEditor interface {
	ListStore
	Set(ctx context.Context, account string, prefixes []netip.Prefix) error
}

// A SetStore is an optional interface of a [ListStore] that keeps each
// list compiled as a [PrefixSet]. [PerPrincipal] uses it when present,
// which makes a check O(log n) and allocation-free. A nil set, like an
// empty list, allows every address.
type SetStore interface {
	AllowSet(ctx context.Context, account string) (*PrefixSet, error)
}

// MemoryLists is the in-memory [ListEditor] (and [SetStore]). The zero
// MemoryLists is empty and ready to use; it is safe for concurrent use.
// Lists are replaced atomically: a reader sees an account's old list or its
// new one, never a mix.
type MemoryLists struct {
	mu    sync.RWMutex
	lists map[string]memoryList
}

type memoryList struct {
	prefixes []netip.Prefix
	set      *PrefixSet
}

// NewMemoryLists returns an empty MemoryLists.
func NewMemoryLists() *MemoryLists { return &MemoryLists{} }

// Set implements [ListEditor]. It never fails for valid prefixes.
func (m *MemoryLists) Set(ctx context.Context, account string, prefixes []netip.Prefix) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	set, err := NewPrefixSet(prefixes)
	if err != nil {
		return fmt.Errorf("ipallow: account list: %w", err)
	}
	ps := make([]netip.Prefix, len(prefixes))
	for i, p := range prefixes {
		ps[i] = p.Masked()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(ps) == 0 {
		delete(m.lists, account)
		return nil
	}
	if m.lists == nil {
		m.lists = make(map[string]memoryList)
	}
	m.lists[account] = memoryList{prefixes: ps, set: set}
	return nil
}

// AllowList implements [ListStore]. The returned slice is a copy.
func (m *MemoryLists) AllowList(ctx context.Context, account string) ([]netip.Prefix, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	l := m.lists[account]
	m.mu.RUnlock()
	return slices.Clone(l.prefixes), nil
}

// AllowSet implements [SetStore]: the compiled list, nil when the account
// has none.
func (m *MemoryLists) AllowSet(ctx context.Context, account string) (*PrefixSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	l := m.lists[account]
	m.mu.RUnlock()
	return l.set, nil
}
