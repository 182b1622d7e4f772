package redisstore

import (
	"context"
	"net/http"
	"sync"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Middleware gives each request a read-ahead scope, so that the request's
// reads of Redis share one round trip: when the revocation check of a
// bearer token ([Revocations.Revoked]) goes to Redis, it reads in the same
// pipeline the allowlist of the account that Config.AllowlistAccount
// names for the token's Principal (on a Redis Cluster the pipeline sends
// each master its part at once: still one round trip), and the first
// [Lists.AllowSet] or [Lists.AllowList] of that account in the same
// request uses that answer instead of reading again. An API call checked
// by the bearer middleware and ipallow.PerPrincipal then makes at most
// one round trip, and none while the local copy (Config.LocalCache) holds
// both answers.
//
// Place it before the bearer middleware:
//
//	api := gatehouse.Chain(store.Middleware, auth.Middleware, perAccount.Middleware)
//
// An answer read ahead serves that request only, once; it is never
// shared with another request, and a Lists.Set or Lists.SetIfAbsent of
// the account in the same request drops it. A read that fails (Redis
// unreachable, [ErrStateLost]) leaves nothing behind: the allowlist read
// then fails on its own, and the middleware answers 503 as without the
// scope.
//
// While the local copy is live, the allowlist read ahead is kept in the
// copy instead (under the copy's rules: see [LocalCache]), and Middleware
// adds nothing to the request: the scope costs a context and a shallow
// copy of the request, two allocations, which a request answered from the
// copy does not pay. Without Config.AllowlistAccount, Middleware returns
// next itself.
func (s *Store) Middleware(next http.Handler) http.Handler {
	if s.allowlistAccount == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.local != nil {
			if _, live := s.local.begin(); live {
				next.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(&readAhead{Context: r.Context(), s: s}))
	})
}

// readAhead is a request's context with the Store's read-ahead scope,
// which Middleware allocates per request (with the request's shallow copy
// that carries it).
type readAhead struct {
	context.Context
	s *Store

	mu      sync.Mutex
	has     bool   // an answer is held
	account string // whose allowlist
	raw     string // its stored text, "" for none
}

// readAheadKey finds the scope of one Store in a context.
type readAheadKey struct{ s *Store }

func (c *readAhead) Value(key any) any {
	if k, ok := key.(readAheadKey); ok && k.s == c.s {
		return c
	}
	return c.Context.Value(key)
}

// scope returns the request's read-ahead scope for s, or nil.
func (s *Store) scope(ctx context.Context) *readAhead {
	c, _ := ctx.Value(readAheadKey{s}).(*readAhead)
	return c
}

// put holds raw as account's allowlist, replacing what the scope held.
func (c *readAhead) put(account, raw string) {
	c.mu.Lock()
	c.has, c.account, c.raw = true, account, raw
	c.mu.Unlock()
}

// take returns, and forgets, the allowlist held for account.
func (c *readAhead) take(account string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.has || c.account != account {
		return "", false
	}
	c.has = false
	return c.raw, true
}

// forget drops what the scope holds for account.
func (c *readAhead) forget(account string) {
	c.mu.Lock()
	if c.account == account {
		c.has = false
	}
	c.mu.Unlock()
}

// ahead is the allowlist a revocation check reads ahead: the account's,
// for the request's scope (nil without one) and for the local copy when
// it is live. The zero ahead reads nothing.
type ahead struct {
	scope   *readAhead
	account string
}

// aheadFor returns what a revocation check of t that goes to Redis reads
// ahead: the allowlist of the account that Config.AllowlistAccount names
// for t's Principal, when the request has a scope (Store.Middleware) or
// the local copy is live (live: as the check found it) to keep it, and
// the copy does not hold that list already (then the scope gets the
// copy's answer, so that the copy dropping it meanwhile costs the request
// no second round trip).
func (s *Store) aheadFor(ctx context.Context, t *bearer.TokenRef, live bool) ahead {
	if s.allowlistAccount == nil || t.Principal == nil {
		return ahead{}
	}
	scope := s.scope(ctx)
	if scope == nil && !live {
		return ahead{}
	}
	// The Principal is shared with other requests: the function gets a
	// copy whose Scopes it may change.
	account := s.allowlistAccount(t.Principal.Clone())
	if account == "" {
		return ahead{} // ipallow refuses it without reading a list
	}
	if live {
		if raw, ok := s.local.list(account); ok {
			if scope != nil {
				scope.put(account, raw)
			}
			return ahead{}
		}
	}
	return ahead{scope: scope, account: account}
}

// forgetAhead drops what the request's scope holds for account's
// allowlist, so that a request reads its own writes.
func (s *Store) forgetAhead(ctx context.Context, account string) {
	if s.allowlistAccount == nil {
		return
	}
	if scope := s.scope(ctx); scope != nil {
		scope.forget(account)
	}
}
