package server

import (
	"context"
	"net/netip"

	"github.com/gatehouse-go/gatehouse/ipallow"
)

// An absentSetter is a list store that can write a list only where none is
// stored, in one atomic step (redisstore.Lists): instances starting
// together, and an operator editing a list meanwhile, never overwrite each
// other.
type absentSetter interface {
	SetIfAbsent(ctx context.Context, account string, prefixes []netip.Prefix) (bool, error)
}

// seedList writes prefixes as account's allowlist unless the store already
// holds a list for it, so that restarting an instance of a fleet never
// overwrites a list the fleet's operators edited in the shared store. A
// store without SetIfAbsent is read first and written when the account's
// list is empty; in both cases a list emptied on purpose (which allows
// every address) cannot be told from one never written, and is seeded
// again.
func seedList(ctx context.Context, lists ipallow.ListEditor, account string, prefixes []netip.Prefix) error {
	if s, ok := lists.(absentSetter); ok {
		_, err := s.SetIfAbsent(ctx, account, prefixes)
		return err
	}
	cur, err := lists.AllowList(ctx, account)
	if err != nil || len(cur) > 0 {
		return err
	}
	return lists.Set(ctx, account, prefixes)
}
