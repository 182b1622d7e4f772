package ipallow

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures a static [Allowlist] for a whole API or a route.
type Config struct {
	// Allow lists the IP addresses and CIDR prefixes that may call (see
	// [ParsePrefixes]). Allow and Deny must not both be empty. Default:
	// none (every address not in Deny may call).
	Allow []string
	// Deny lists addresses refused even when Allow contains them.
	// Default: none.
	Deny []string

	// Resolver determines the client address when no earlier middleware
	// (a Resolver's own Middleware) stored one in the request context; the
	// address it resolves is then stored for the middleware and handlers
	// that follow. Default: nil (the connection's peer address, the right
	// choice when no proxy sits in front of the server).
	Resolver *Resolver

	// Message is the client-visible message of the 403. Whatever it says,
	// no response ever reveals the lists or which of them refused the
	// address. Default: [DefaultMessage].
	Message string
	// Style renders refusals. Default: the request's style (see
	// envelope.Use), else envelope.Nested.
	Style envelope.Style
	// Audit receives an event for every decision of the Middleware, with
	// the client address. Optional.
	Audit gatehouse.Auditor
	// Now is the audit clock. Default: time.Now.
	Now func() time.Time
}

// rules is one immutable generation of an Allowlist's lists.
type rules struct {
	allow, deny *PrefixSet
}

// An Allowlist admits requests by client address: an address in Deny is
// refused, then one not in Allow (when Allow is not empty) is refused, each
// with 403 FORBIDDEN.
//
// An Allowlist is safe for concurrent use; [Allowlist.Update] replaces its
// lists atomically while requests are served. Build it with [New].
type Allowlist struct {
	rules    atomic.Pointer[rules]
	resolver *Resolver
	render
}

// New validates cfg and returns an Allowlist. It fails, with an error
// wrapping [ErrConfig] that lists every problem, when an entry is not an
// IP or CIDR (wrapping [ErrInvalidPrefix] too) or when both lists are
// empty.
func New(cfg Config) (*Allowlist, error) {
	a := &Allowlist{resolver: cfg.Resolver, render: newRender(cfg.Style, cfg.Audit, cfg.Now, cfg.Message)}
	if err := a.Update(cfg.Allow, cfg.Deny); err != nil {
		return nil, err
	}
	return a, nil
}

// Update parses allow and deny like [New] and, when both are valid,
// replaces the lists in one atomic step: every request is checked against
// either the old lists or the new ones, never a mix. On error the lists in
// force are kept.
func (a *Allowlist) Update(allow, deny []string) error {
	var problems []error
	if len(allow) == 0 && len(deny) == 0 {
		problems = append(problems, errors.New("both Allow and Deny are empty"))
	}
	al, err := ParsePrefixes(allow)
	if err != nil {
		problems = append(problems, fmt.Errorf("in Allow: %w", err))
	}
	dl, err := ParsePrefixes(deny)
	if err != nil {
		problems = append(problems, fmt.Errorf("in Deny: %w", err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	if len(allow) == 0 {
		al = nil
	}
	a.rules.Store(&rules{allow: al, deny: dl})
	return nil
}

// Allows reports whether the lists in force admit addr, and if not, which
// list refused it ("denylist" or "allowlist"). It does not allocate.
func (a *Allowlist) Allows(addr netip.Addr) (ok bool, rule string) {
	rs := a.rules.Load()
	if rs.deny.Contains(addr) {
		return false, "denylist"
	}
	if rs.allow != nil && !rs.allow.Contains(addr) {
		return false, "allowlist"
	}
	return true, ""
}

// Check decides r: it returns the client address when the lists admit it,
// and otherwise a 403 *envelope.Error wrapping [ErrDenied] (or, when the
// address cannot be determined, [ErrNoClientAddr] or [ErrMalformedHeader]).
func (a *Allowlist) Check(r *http.Request) (netip.Addr, error) {
	addr, _, err := clientAddr(a.resolver, r)
	if err != nil {
		return addr, err
	}
	if !addr.IsValid() {
		return addr, a.errs[rNoAddr]
	}
	if ok, _ := a.Allows(addr); !ok {
		return addr, a.errs[rDenied]
	}
	return addr, nil
}

// Middleware admits the requests [Allowlist.Check] admits and answers the
// others with 403 FORBIDDEN. Each request is audited once (Config.Audit):
// a refusal after it is rendered, an admitted request before next runs.
// When it resolved the address itself (Config.Resolver set and no earlier
// Resolver middleware), it stores it for the handlers that follow;
// otherwise it passes the request on unchanged, which costs no
// allocation.
func (a *Allowlist) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, store, err := clientAddr(a.resolver, r)
		if err != nil {
			a.refuse(w, r, "allowlist", gatehouse.RemoteAddr(r), nil, err)
			return
		}
		if !addr.IsValid() {
			a.refuse(w, r, "allowlist", addr, nil, a.errs[rNoAddr])
			return
		}
		if ok, _ := a.Allows(addr); !ok {
			a.refuse(w, r, "allowlist", addr, nil, a.errs[rDenied])
			return
		}
		a.allow(r, "allowlist", addr, nil)
		if store {
			r = r.WithContext(gatehouse.WithClientAddr(r.Context(), addr))
		}
		next.ServeHTTP(w, r)
	})
}
