package ipallow

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// PerPrincipalConfig configures [PerPrincipal].
type PerPrincipalConfig struct {
	// Lists holds the accounts' allowlists. Required; [NewMemoryLists] is
	// the in-memory default.
	Lists ListStore
	// Account names the account whose list applies to a principal. nil
	// means the principal's Tenant, or its Subject when Tenant is empty —
	// never its ClientID, which names an application, not an account. An
	// authenticated principal for which it returns "" (a client-credentials
	// token without "sub", for instance) is refused with 403 ([ErrNoAccount]):
	// whose list applies is unknown. To give such principals lists, return
	// the account they act for (p.ClientID, if clients are the accounts).
	Account func(gatehouse.Principal) string
	// AllowAnonymous lets a request through when no authenticated Principal
	// reached the middleware (routes with optional authentication). It
	// never applies to an authenticated principal, whatever Account returns
	// for it. When false, a request without one is answered 500: the
	// middleware must sit after authentication, and a chain that gets this
	// wrong must not pass requests unchecked.
	AllowAnonymous bool
	// Resolver determines the client address when no earlier middleware
	// stored one (see [Config.Resolver]); nil means the peer address.
	Resolver *Resolver

	// Message is the client-visible message of the 403; "" means
	// [DefaultMessage].
	Message string
	// Style renders refusals; nil means the request's style (see envelope.Use).
	Style envelope.Style
	// Audit receives an event for every refusal, with the client address,
	// the principal and the reason ("account_allowlist", "store_error");
	// nil means none.
	Audit gatehouse.Auditor
	// Now is the audit clock; nil means time.Now.
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

// NewPerPrincipal validates cfg and returns a PerPrincipal. It fails when
// cfg.Lists is nil.
func NewPerPrincipal(cfg PerPrincipalConfig) (*PerPrincipal, error) {
	if cfg.Lists == nil {
		return nil, fmt.Errorf("%w: PerPrincipalConfig.Lists is nil", ErrInvalidConfig)
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

// authenticated reports whether p is an authenticated Principal: the zero
// Principal stands for none, as documented on gatehouse.Principal.
func authenticated(p *gatehouse.Principal) bool {
	return !reflect.ValueOf(*p).IsZero() // every field, present and future
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
// [ErrStore] and the store's error when the list cannot be read. Refusals are
// audited with the account as the event's Tenant.
//
// It needs no request and no principal: login and refresh handlers call it
// with the account named in the request body and gatehouse.ClientAddr(r).
func (p *PerPrincipal) CheckAccount(ctx context.Context, account string, addr netip.Addr) error {
	err := p.check(ctx, account, addr)
	if err != nil {
		p.emit(ctx, "account", ruleOf(err), addr, &gatehouse.Principal{Tenant: account}, err)
	}
	return err
}

func ruleOf(err error) string {
	if err != nil && reason(err) == "not_allowed" {
		return "account_allowlist"
	}
	return ""
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
	return p.ref.denied
}

func (p *PerPrincipal) storeError(err error) error {
	return envelope.ErrUnavailable.WithCause(fmt.Errorf("%w: %w", ErrStore, err))
}

// Middleware applies the authenticated account's allowlist to each
// request's client address: 403 FORBIDDEN when the account has entries and
// none matches, or when an authenticated principal names no account; 503
// when the store fails; and 500 when no authenticated Principal reached it
// (unless AllowAnonymous, which lets exactly those requests through).
// Every refusal is audited.
func (p *PerPrincipal) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr, ok := gatehouse.PrincipalRefFrom(r.Context())
		var account string
		if ok {
			account = p.account(*pr)
		}
		if account == "" {
			switch {
			case ok && authenticated(pr):
				// Authenticated, yet no account to check: fail closed,
				// whatever AllowAnonymous says.
				p.refuse(w, r, "account", "", gatehouse.ClientAddr(r), pr, p.ref.noAccount)
			case p.anonymous:
				next.ServeHTTP(w, r)
			default:
				p.refuse(w, r, "account", "", gatehouse.ClientAddr(r), pr, p.ref.noPrincipal)
			}
			return
		}
		addr, store, err := clientAddr(p.resolver, r)
		if err != nil {
			p.refuse(w, r, "account", "", gatehouse.RemoteAddr(r), pr, err)
			return
		}
		if err := p.check(r.Context(), account, addr); err != nil {
			p.refuse(w, r, "account", ruleOf(err), addr, pr, err)
			return
		}
		if store {
			r = r.WithContext(gatehouse.WithClientAddr(r.Context(), addr))
		}
		next.ServeHTTP(w, r)
	})
}
