package ipallow

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// PerPrincipalConfig configures [PerPrincipal].
type PerPrincipalConfig struct {
	// Lists holds the accounts' allowlists; [NewMemoryLists] is the
	// in-memory store. Required.
	Lists ListStore
	// Account names the account whose list applies to a principal. An
	// authenticated principal for which it returns "" (a
	// client-credentials token without "sub", for instance) is refused
	// with 403 ([ErrNoAccount]): whose list applies is unknown. To give
	// such principals lists, return the account they act for (p.ClientID,
	// if clients are the accounts). Default: the principal's Tenant, or
	// its Subject when Tenant is empty — never its ClientID, which names
	// an application, not an account.
	Account func(gatehouse.Principal) string
	// AllowAnonymous lets a request through when no authenticated Principal
	// reached the middleware (routes with optional authentication). It
	// never applies to an authenticated principal, whatever Account returns
	// for it. When false, a request without one is answered 500: the
	// middleware must sit after authentication, and a chain that gets this
	// wrong must not pass requests unchecked. Default: false.
	AllowAnonymous bool
	// Resolver determines the client address when no earlier middleware
	// stored one (see [Config.Resolver]). Default: nil (the peer address).
	Resolver *Resolver

	// Message is the client-visible message of the 403. Default:
	// [DefaultMessage].
	Message string
	// Style renders refusals. Default: the request's style (see
	// envelope.Use), else envelope.Nested.
	Style envelope.Style
	// Audit receives an event for every decision of the Middleware, with
	// the client address and the principal. Optional.
	Audit gatehouse.Auditor
	// Now is the audit clock. Default: time.Now.
	Now func() time.Time
}

// PerPrincipal applies each account's own allowlist: an account with
// entries may call the API (login and token refresh included) only from
// an address on its list, and an account without entries from any
// address.
//
// Its Middleware runs after authentication and checks the authenticated
// principal's account; [PerPrincipal.CheckAccount] applies the same rule
// before a principal exists, in login and refresh handlers. A PerPrincipal
// is safe for concurrent use. Build it with [NewPerPrincipal].
type PerPrincipal struct {
	lists     ListStore
	sets      SetStore // lists as a SetStore, or nil
	account   func(gatehouse.Principal) string
	anonymous bool
	resolver  *Resolver
	render
}

// NewPerPrincipal validates cfg and returns a PerPrincipal. It fails, with
// an error wrapping [ErrConfig], when cfg.Lists is nil.
func NewPerPrincipal(cfg PerPrincipalConfig) (*PerPrincipal, error) {
	if cfg.Lists == nil {
		return nil, fmt.Errorf("%w: no Lists", ErrConfig)
	}
	p := &PerPrincipal{
		lists:     cfg.Lists,
		account:   cfg.Account,
		anonymous: cfg.AllowAnonymous,
		resolver:  cfg.Resolver,
		render:    newRender(cfg.Style, cfg.Audit, cfg.Now, cfg.Message),
	}
	p.sets, _ = cfg.Lists.(SetStore)
	if p.account == nil {
		p.account = defaultAccount
	} else {
		// The Principal may be shared with other requests: the callback
		// gets a copy whose Scopes it may change.
		account := p.account
		p.account = func(pr gatehouse.Principal) string { return account(pr.Clone()) }
	}
	return p, nil
}

func defaultAccount(p gatehouse.Principal) string {
	if p.Tenant != "" {
		return p.Tenant
	}
	return p.Subject
}

// CheckAccount reports whether addr may act for account. It returns nil when
// the account has no entries or one of them contains addr; a 403
// *envelope.Error wrapping [ErrDenied] when it has entries and none
// contains addr (the zero Addr included); and a 503 *envelope.Error wrapping
// [ErrStore] and the store's error when the list cannot be read.
//
// It needs no request and no principal: login and refresh handlers call it
// with the account named in the request body and gatehouse.ClientAddr(r).
// It is the decision alone: it audits nothing, the handler that asked
// audits its own decision.
func (p *PerPrincipal) CheckAccount(ctx context.Context, account string, addr netip.Addr) error {
	return p.check(ctx, account, addr)
}

func (p *PerPrincipal) check(ctx context.Context, account string, addr netip.Addr) error {
	var set *PrefixSet
	if p.sets != nil {
		s, err := p.sets.AllowSet(ctx, account)
		if err != nil {
			return p.storeError(err)
		}
		set = s
	} else {
		list, err := p.lists.AllowList(ctx, account)
		if err != nil {
			return p.storeError(err)
		}
		if len(list) == 0 {
			return nil
		}
		if set, err = NewPrefixSet(list); err != nil {
			return p.storeError(err)
		}
	}
	if set.Len() == 0 || set.Contains(addr) {
		return nil
	}
	return p.errs[rDenied]
}

func (p *PerPrincipal) storeError(err error) error {
	return p.errs[rStore].WithCause(fmt.Errorf("%w: %w", refusals[rStore].Err, err))
}

// Middleware applies the authenticated account's allowlist to each
// request's client address: 403 FORBIDDEN when the account has entries and
// none matches, or when an authenticated principal names no account; 503
// when the store fails; and 500 when no authenticated Principal reached it
// (unless AllowAnonymous, which lets exactly those requests through).
// Each request is audited once (Config.Audit): a refusal after it is
// rendered, an admitted request before next runs.
func (p *PerPrincipal) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr, ok := gatehouse.PrincipalRefFrom(r.Context())
		var account string
		if ok {
			account = p.account(*pr)
		}
		if account == "" {
			switch {
			case ok && !pr.IsZero():
				// Authenticated, yet no account to check: fail closed,
				// whatever AllowAnonymous says.
				p.refuse(w, r, "account", gatehouse.ClientAddr(r), pr, p.errs[rNoAccount])
			case p.anonymous:
				p.allow(r, "account", gatehouse.ClientAddr(r), pr)
				next.ServeHTTP(w, r)
			default:
				p.refuse(w, r, "account", gatehouse.ClientAddr(r), pr, p.errs[rNoPrincipal])
			}
			return
		}
		addr, store, err := clientAddr(p.resolver, r)
		if err != nil {
			p.refuse(w, r, "account", gatehouse.RemoteAddr(r), pr, err)
			return
		}
		if err := p.check(r.Context(), account, addr); err != nil {
			p.refuse(w, r, "account", addr, pr, err)
			return
		}
		p.allow(r, "account", addr, pr)
		if store {
			r = r.WithContext(gatehouse.WithClientAddr(r.Context(), addr))
		}
		next.ServeHTTP(w, r)
	})
}
