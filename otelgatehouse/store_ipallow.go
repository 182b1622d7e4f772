package otelgatehouse

import (
	"context"
	"net/netip"
	"time"

	"github.com/gatehouse-go/gatehouse/ipallow"
)

// ListStore returns s with every call timed and every failure counted
// (gatehouse.store "ip_lists"). The returned store implements each of
// ipallow.ListEditor (Set) and ipallow.SetStore (AllowSet, the compiled
// lists ipallow.PerPrincipal prefers) that s implements. Other methods of
// s, such as redisstore's SetIfAbsent, are not forwarded: seed lists
// through s itself.
func (t *Telemetry) ListStore(s ipallow.ListStore) ipallow.ListStore {
	l := &lists{s: s, allowList: t.storeOp(StoreIPLists, "AllowList")}
	ed, isEditor := s.(ipallow.ListEditor)
	ss, isSets := s.(ipallow.SetStore)
	if isEditor {
		l.ed, l.set = ed, t.storeOp(StoreIPLists, "Set", ipallow.ErrInvalidPrefix)
	}
	if isSets {
		l.ss, l.allowSet = ss, t.storeOp(StoreIPLists, "AllowSet")
	}
	switch {
	case isEditor && isSets:
		return listEditorSets{listEditor{listStore{l}}}
	case isEditor:
		return listEditor{listStore{l}}
	case isSets:
		return listSets{listStore{l}}
	}
	return listStore{l}
}

// ListEditor is [Telemetry.ListStore] for a store that is an
// ipallow.ListEditor, returned as one.
func (t *Telemetry) ListEditor(s ipallow.ListEditor) ipallow.ListEditor {
	return t.ListStore(s).(ipallow.ListEditor)
}

type lists struct {
	s                        ipallow.ListStore
	ed                       ipallow.ListEditor
	ss                       ipallow.SetStore
	allowList, set, allowSet *storeOp
}

type listStore struct{ l *lists }

func (x listStore) AllowList(ctx context.Context, account string) ([]netip.Prefix, error) {
	start := time.Now()
	list, err := x.l.s.AllowList(ctx, account)
	x.l.allowList.done(ctx, start, err)
	return list, err
}

type listEditor struct{ listStore }

func (x listEditor) Set(ctx context.Context, account string, prefixes []netip.Prefix) error {
	start := time.Now()
	err := x.l.ed.Set(ctx, account, prefixes)
	x.l.set.done(ctx, start, err)
	return err
}

type listSets struct{ listStore }

func (x listSets) AllowSet(ctx context.Context, account string) (*ipallow.PrefixSet, error) {
	return x.l.allowSetCall(ctx, account)
}

type listEditorSets struct{ listEditor }

func (x listEditorSets) AllowSet(ctx context.Context, account string) (*ipallow.PrefixSet, error) {
	return x.l.allowSetCall(ctx, account)
}

func (l *lists) allowSetCall(ctx context.Context, account string) (*ipallow.PrefixSet, error) {
	start := time.Now()
	set, err := l.ss.AllowSet(ctx, account)
	l.allowSet.done(ctx, start, err)
	return set, err
}
