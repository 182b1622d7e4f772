package redisstore

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/ipallow"
)

// maxCompiled caps the compiled allowlists a Lists keeps in memory.
const maxCompiled = 4096

// Lists is the Redis [ipallow.ListEditor] and [ipallow.SetStore]: each
// account's list is one string key ("<prefix>ips:<account>") holding its
// prefixes, comma-separated, or "" for an account whose list was set
// empty on purpose (no restriction), so Set replaces a list atomically and
// a read is one MGET of the list and the epoch record of its hash slot. An
// account without a key has no list either; but when the epoch record is
// missing too, Redis lost its data (see [Store.Establish]) and a list that
// existed cannot be told from one that never did: the read fails with
// [ErrStateLost] and ipallow.PerPrincipal answers 503, never "allow".
//
// The compiled [ipallow.PrefixSet] of a list is kept in memory and reused
// while the stored text is unchanged, so a check costs one round trip and
// no compilation; a change made by another instance is seen on the next
// read. It is safe for concurrent use; while Redis is unreachable its
// methods fail and ipallow.PerPrincipal answers 503.
type Lists struct {
	s *Store

	mu       sync.Mutex
	compiled map[string]compiledList // account → last compiled list
}

type compiledList struct {
	raw string
	set *ipallow.PrefixSet
}

var (
	_ ipallow.ListEditor = (*Lists)(nil)
	_ ipallow.SetStore   = (*Lists)(nil)
)

func newLists(s *Store) *Lists { return &Lists{s: s, compiled: make(map[string]compiledList)} }

// Set implements [ipallow.ListEditor]: prefixes, masked, become the
// account's whole list; an empty list is stored as an explicit "no
// restriction" record, which SetIfAbsent does not overwrite. It is one
// script, which also publishes the local copies' invalidation (see
// [LocalCache]). With Config.MinReplicas the write waits for the replicas.
// An invalid prefix is an error wrapping ipallow.ErrInvalidPrefix and
// changes nothing.
func (l *Lists) Set(ctx context.Context, account string, prefixes []netip.Prefix) error {
	raw, err := listText(prefixes)
	if err != nil {
		return err
	}
	key := l.s.key("ips:", account)
	defer l.s.invalidateLocal(invalAccount, account)
	l.s.forgetAhead(ctx, account)
	return l.s.runWrite(ctx, "set allowlist", setListScript, key, raw, l.s.inval, invalMessage(invalAccount, account))
}

// setListScript sets KEYS[1] to ARGV[1] and publishes ARGV[3] on channel
// ARGV[2] (the local copies' invalidation, see [LocalCache]).
var setListScript = newScript(`
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)

// seedListScript sets KEYS[1] to ARGV[1] unless it exists and, when it
// did, publishes ARGV[3] on channel ARGV[2] (see [LocalCache]).
var seedListScript = newScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)

// listText returns the stored form of prefixes: masked, comma-separated.
// An invalid prefix is an error wrapping ipallow.ErrInvalidPrefix.
func listText(prefixes []netip.Prefix) (string, error) {
	if _, err := ipallow.NewPrefixSet(prefixes); err != nil {
		return "", fmt.Errorf("redisstore: account list: %w", err)
	}
	var b strings.Builder
	for i, p := range prefixes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Masked().String())
	}
	return b.String(), nil
}

// AllowList implements [ipallow.ListStore]; the slice is the caller's.
func (l *Lists) AllowList(ctx context.Context, account string) ([]netip.Prefix, error) {
	raw, err := l.get(ctx, account)
	if err != nil || raw == "" {
		return nil, err
	}
	return parseList(raw)
}

// AllowSet implements [ipallow.SetStore]: the compiled list, nil when the
// account has none.
func (l *Lists) AllowSet(ctx context.Context, account string) (*ipallow.PrefixSet, error) {
	raw, err := l.get(ctx, account)
	if err != nil || raw == "" {
		return nil, err
	}
	l.mu.Lock()
	c, ok := l.compiled[account]
	l.mu.Unlock()
	if ok && c.raw == raw {
		return c.set, nil
	}
	prefixes, err := parseList(raw)
	if err != nil {
		return nil, err
	}
	set, err := ipallow.NewPrefixSet(prefixes)
	if err != nil {
		return nil, fmt.Errorf("redisstore: corrupt allowlist: %w", err)
	}
	l.mu.Lock()
	if len(l.compiled) >= maxCompiled {
		clear(l.compiled)
	}
	l.compiled[account] = compiledList{raw: raw, set: set}
	l.mu.Unlock()
	return set, nil
}

// get returns the stored text of account's list, "" for none: from the
// local copy (Config.LocalCache) when it holds it, or else from the
// request's read-ahead scope (Store.Middleware) when the revocation check
// read it, or else read from Redis.
func (l *Lists) get(ctx context.Context, account string) (string, error) {
	lc := l.s.local
	if lc != nil {
		if raw, ok := lc.list(account); ok {
			return raw, nil
		}
	}
	if l.s.allowlistAccount != nil {
		if scope := l.s.scope(ctx); scope != nil {
			if raw, ok := scope.take(account); ok {
				return raw, nil
			}
		}
	}
	if lc == nil {
		return l.read(ctx, account)
	}
	gen, live := lc.begin()
	raw, err := l.read(ctx, account)
	if err == nil && live {
		lc.storeList(gen, account, raw)
	}
	return raw, err
}

// read reads the text of account's list, with the epoch record of its
// slot in the same MGET.
func (l *Lists) read(ctx context.Context, account string) (string, error) {
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	return listReply(l.mget(ctx, l.s.client, account).Result())
}

// mget queues on c the MGET of account's list and the epoch record of its
// slot.
func (l *Lists) mget(ctx context.Context, c redis.Cmdable, account string) *redis.SliceCmd {
	key := l.s.key("ips:", account)
	return c.MGet(ctx, key, l.s.epochKey(key))
}

// listReply reads the reply of mget: the list's text, "" for none, or
// ErrStateLost when the epoch record is missing.
func listReply(vals []any, err error) (string, error) {
	if err != nil {
		return "", wrap("get allowlist", err)
	}
	if len(vals) != 2 {
		return "", wrap("get allowlist", errReply)
	}
	if _, err := parseEpoch(vals[1]); err != nil {
		return "", wrap("get allowlist", err)
	}
	raw, _ := vals[0].(string)
	return raw, nil
}

func parseList(raw string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, strings.Count(raw, ",")+1)
	for f := range strings.SplitSeq(raw, ",") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("redisstore: corrupt allowlist entry %q", f)
		}
		out = append(out, p)
	}
	return out, nil
}

// SetIfAbsent stores prefixes, masked, as the account's list only when the
// account has no record, and reports whether it wrote it. It is one atomic
// script (SET NX, and the local copies' invalidation when it wrote), so it
// never overwrites a list that Set or another SetIfAbsent stored, even
// concurrently — an empty list set on purpose included: it seeds a default
// list without undoing an operator's edit.
// Empty prefixes seed the explicit "no restriction" record. With
// Config.MinReplicas the write waits for the replicas, as Set's does: a
// seeded list that too few acknowledge reports whether it was written,
// with an error wrapping [ErrNotReplicated]. An invalid prefix is an
// error wrapping ipallow.ErrInvalidPrefix and changes nothing.
func (l *Lists) SetIfAbsent(ctx context.Context, account string, prefixes []netip.Prefix) (bool, error) {
	raw, err := listText(prefixes)
	if err != nil {
		return false, err
	}
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	key := l.s.key("ips:", account)
	defer l.s.invalidateLocal(invalAccount, account)
	l.s.forgetAhead(ctx, account)
	cmd := l.s.runScript(ctx, seedListScript, []string{key}, raw, l.s.inval, invalMessage(invalAccount, account))
	n, _ := cmd.Val().(int64) // the script's reply, kept beside ErrNotReplicated
	return n == 1, wrap("seed allowlist", cmd.Err())
}
