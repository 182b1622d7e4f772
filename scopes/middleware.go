package scopes

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/gatehouse-go/gatehouse"
)

// defaultEnforcer backs the package-level Require and Any. It is built from
// the zero Config and never changes.
var defaultEnforcer = zeroEnforcer()

// zeroEnforcer returns the Enforcer of the zero Config, which is valid.
func zeroEnforcer() *Enforcer {
	e, err := New(Config{})
	if err != nil {
		panic(err)
	}
	return e
}

// Require returns middleware that lets a request through only when its
// Principal holds every one of scopes, using the zero [Config] (the request's
// error style, exact matching). See [Enforcer.Require].
func Require(scopes ...string) gatehouse.Middleware { return defaultEnforcer.Require(scopes...) }

// Any returns middleware that lets a request through only when its
// Principal holds at least one of scopes, using the zero [Config]. See
// [Enforcer.Any].
func Any(scopes ...string) gatehouse.Middleware { return defaultEnforcer.Any(scopes...) }

// Require returns middleware that lets a request through only when its
// Principal holds every one of scopes. Without a Principal it answers 401;
// when a scope is missing it answers 403 naming the first missing scope,
// with a challenge whose scope parameter lists all of scopes. Require() with
// no scopes only demands a Principal.
//
// Require panics when a scope is not an RFC 6749 scope token (empty, or
// containing spaces, quotes, backslashes or non-ASCII), like
// [http.ServeMux.Handle] does for an invalid pattern: scopes are program
// literals and the mistake shows at start-up, never at request time. Use
// [Enforcer.Enforce] to get an error instead.
func (e *Enforcer) Require(scopes ...string) gatehouse.Middleware {
	return e.mustEnforce(Rule{All: scopes})
}

// Any returns middleware that lets a request through only when its
// Principal holds at least one of scopes (401 without a Principal, 403
// otherwise). It panics, like [Enforcer.Require], on an invalid scope or an
// empty list.
func (e *Enforcer) Any(scopes ...string) gatehouse.Middleware {
	if scopes == nil {
		scopes = []string{}
	}
	return e.mustEnforce(Rule{Any: scopes})
}

// Enforce returns middleware enforcing rule, or an error when rule holds an
// invalid scope or an empty Any list.
func (e *Enforcer) Enforce(rule Rule) (gatehouse.Middleware, error) {
	q, err := e.compile(rule)
	if err != nil {
		return nil, fmt.Errorf("scopes: %w", err)
	}
	return func(next http.Handler) http.Handler {
		return &handler{e: e, q: q, next: next}
	}, nil
}

func (e *Enforcer) mustEnforce(rule Rule) gatehouse.Middleware {
	mw, err := e.Enforce(rule)
	if err != nil {
		panic(err)
	}
	return mw
}

type handler struct {
	e    *Enforcer
	q    *requirement
	next http.Handler
}

// ServeHTTP is the middleware of Require, Any and Enforce: the decision,
// then the refusal rendered, then the audit event (an allowed request's
// before next runs).
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The hot path: one context lookup, one pass over the granted scopes,
	// no copy of the Principal (it is read in place, never modified).
	p, ok := gatehouse.PrincipalRefFrom(r.Context())
	if !ok {
		p = &noPrincipal
	}
	rs, f := rOK, (*refusal)(nil)
	if p.IsZero() { // decide, written out: no call on the hot path but the scope check
		rs, f = rNoPrincipal, &h.e.unauth
	} else if f = h.q.unmet(p.Scopes); f != nil {
		rs = rInsufficient
	}
	if rs != rOK {
		f.prepared.Write(w, r)
		h.e.audit(r, p, rs)
		return
	}
	h.e.audit(r, p, rOK)
	h.next.ServeHTTP(w, r)
}

// Middleware enforces the route table of Config.Routes. With no table every
// request only needs a Principal. Requests matching no pattern are refused
// with 403 unless Config.AllowUnlisted is set. Each request is audited once
// (Config.Audit): a refusal after it is rendered, an allowed request
// before next runs.
func (e *Enforcer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, rs, f := e.check(r)
		if rs != rOK {
			f.prepared.Write(w, r)
			e.audit(r, p, rs)
			return
		}
		e.audit(r, p, rOK)
		next.ServeHTTP(w, r)
	})
}

// Check is the decision behind [Enforcer.Middleware]: it finds the route
// table's rule for r and returns r's Principal when the rule is met. The
// error is an *envelope.Error: 401 wrapping [ErrNoPrincipal], 403 wrapping
// [ErrInsufficientScope] or [ErrRouteNotListed]. A request that matches no
// pattern while Config.AllowUnlisted is set returns its Principal, if any,
// and a nil error. Check is the decision alone: it audits nothing (the
// middleware does).
func (e *Enforcer) Check(r *http.Request) (gatehouse.Principal, error) {
	p, rs, f := e.check(r)
	if rs != rOK {
		return gatehouse.Principal{}, f.err
	}
	return p.Clone(), nil // p may be shared: the caller gets its own Scopes
}

// check is Check returning the Principal in place, without copying it (it
// must not be modified; it is the zero Principal when there is none), and
// the reason of the decision, with its refusal.
func (e *Enforcer) check(r *http.Request) (*gatehouse.Principal, reason, *refusal) {
	p := principalOf(r)
	var q *requirement
	if e.routes != nil {
		h, _ := e.routes.Handler(r)
		rt, ok := h.(*route)
		if !ok || r.Method == http.MethodConnect && cleanPath(r.URL.Path) != r.URL.Path {
			// ServeMux neither cleans nor redirects the path of a CONNECT
			// request: "/public/../admin" matches "/public/" as it
			// stands. Such a path is judged as one the mux would redirect.
			rs, f := e.unlisted(r, h, p)
			return p, rs, f
		}
		if r.URL.RawPath != "" {
			// An escape such as %2F: a router that decodes the path
			// before routing may serve it at another pattern's handler
			// ("/admin%2Fusers" matched "GET /" here, served at "GET
			// /admin/" there), so the path meets every rule its forms
			// match, as an unlisted one does; one whose decoded form has
			// dot segments ("..%2Fadmin") is refused, as resolve refuses
			// it: routers disagree on resolving them.
			if hasDotSegment(r.URL.Path) {
				return p, rNotListed, &e.notListed
			}
			qs, _ := e.resolve(r)
			if !slices.Contains(qs, rt.req) {
				qs = append(qs, rt.req)
			}
			rs, f := e.decideAll(p, qs)
			return p, rs, f
		}
		q = rt.req
	}
	rs, f := e.decide(p, q)
	return p, rs, f
}

// unlisted decides r, for which the route table's mux answered h instead
// of a route: a redirect (an unclean path, a subtree root without its
// slash), 404 or 405; or a route matched by the unclean path of a CONNECT
// request, which the mux does not redirect. Without AllowUnlisted it is
// refused. With it, a path in canonical form that matches no pattern goes
// through unchecked; any other path is resolved by [Enforcer.resolve], so
// that AllowUnlisted never applies to a path that normalises onto a listed
// pattern.
func (e *Enforcer) unlisted(r *http.Request, h http.Handler, p *gatehouse.Principal) (reason, *refusal) {
	if e.cfg.AllowUnlisted {
		if canonical(r, h) {
			return rOK, nil
		}
		if qs, ok := e.resolve(r); ok {
			return e.decideAll(p, qs)
		}
	}
	return rNotListed, &e.notListed
}

// redirectType is the type of the handler ServeMux.Handler answers with
// when it would redirect.
var redirectType = reflect.TypeOf(http.RedirectHandler("/", http.StatusTemporaryRedirect))

// canonical reports whether r's path is one the mux matched as it stands,
// h being its answer: no redirect (to a cleaned path, or to path+"/"), and
// no escape that a router could decode into a different path (RawPath is
// set only for escapes like %2F or %2E that the default encoding would
// not produce).
func canonical(r *http.Request, h http.Handler) bool {
	return reflect.TypeOf(h) != redirectType && r.URL.RawPath == "" && cleanPath(r.URL.Path) == r.URL.Path
}

// resolve returns the rules that r's path could be served under by a
// router that cleans paths (ServeMux does; chi and gin may serve the
// unclean form at the same handler) or decodes escapes before routing
// (gin does): the patterns matched by the cleaned escaped path and by the
// cleaned decoded path, each also with a trailing slash (the subtree root
// "/admin" of "/admin/"). ok is false when the path holds dot segments
// ("." or "..", escaped or not): routers disagree on whether to resolve
// them, so such a path is refused rather than guessed at. It is also
// false when no form matches a pattern: the path is not canonical, and
// its rule is unknown.
func (e *Enforcer) resolve(r *http.Request) (qs []*requirement, ok bool) {
	if hasDotSegment(r.URL.Path) {
		return nil, false
	}
	find := func(u *url.URL) {
		for _, u := range []*url.URL{u, withSlash(u)} {
			if u == nil {
				return
			}
			h, _ := e.routes.Handler(&http.Request{Method: r.Method, Host: r.Host, URL: u})
			if rt, ok := h.(*route); ok {
				if !slices.Contains(qs, rt.req) {
					qs = append(qs, rt.req)
				}
				return // the path itself matched: its slash form is another path
			}
		}
	}
	if r.URL.RawPath != "" {
		esc := cleanPath(r.URL.EscapedPath())
		if dec, err := url.PathUnescape(esc); err == nil {
			find(&url.URL{Path: dec, RawPath: esc})
		}
	}
	find(&url.URL{Path: cleanPath(r.URL.Path)})
	return qs, len(qs) > 0
}

// withSlash returns u with a trailing slash, or nil when it has one.
func withSlash(u *url.URL) *url.URL {
	if strings.HasSuffix(u.Path, "/") {
		return nil
	}
	v := *u
	v.Path += "/"
	if v.RawPath != "" {
		v.RawPath += "/"
	}
	return &v
}

// hasDotSegment reports whether p has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// cleanPath is net/http's: p rooted and cleaned of dot segments and
// repeated slashes, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// decideAll is decide for every rule in qs: p must meet them all.
func (e *Enforcer) decideAll(p *gatehouse.Principal, qs []*requirement) (reason, *refusal) {
	for _, q := range qs {
		if rs, f := e.decide(p, q); rs != rOK {
			return rs, f
		}
	}
	return rOK, nil
}

// decide checks p, the request's Principal (the zero Principal when there
// is none), against q (nil: only an authenticated Principal is needed).
func (e *Enforcer) decide(p *gatehouse.Principal, q *requirement) (reason, *refusal) {
	if p.IsZero() {
		return rNoPrincipal, &e.unauth
	}
	if q != nil {
		if f := q.unmet(p.Scopes); f != nil {
			return rInsufficient, f
		}
	}
	return rOK, nil
}

// Grants reports whether p holds scope, directly or, when configured,
// through Implies and Wildcards. Handlers use it for decisions the
// middleware cannot express, such as letting a caller mint a token only
// with scopes it holds itself. It allocates when implications are
// configured; the middleware paths do not.
func (e *Enforcer) Grants(p gatehouse.Principal, scope string) bool {
	if p.HasScope(scope) {
		return true
	}
	if !e.implicates || !gatehouse.ValidScope(scope) {
		return false
	}
	t := e.term(scope)
	return t.grantedBy(p.Scopes)
}

// principalOf returns r's Principal, read in place: the zero Principal,
// which counts as absent ([gatehouse.Principal.IsZero]), when there is
// none.
func principalOf(r *http.Request) *gatehouse.Principal {
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
		return p
	}
	return &noPrincipal
}

// noPrincipal stands for a missing Principal; it is never modified.
var noPrincipal gatehouse.Principal

// audit reports the decision rs about r and p when an Auditor is set.
func (e *Enforcer) audit(r *http.Request, p *gatehouse.Principal, rs reason) {
	if e.cfg.Audit != nil {
		e.emit(r, p, rs)
	}
}

func (e *Enforcer) emit(r *http.Request, p *gatehouse.Principal, rs reason) {
	ev := gatehouse.NewEvent(r, "scopes", "authorize")
	ev.Time = e.now()
	ev.Conclude(refusals[rs].Status, refusals[rs].Reason)
	ev.Subject, ev.Tenant, ev.CredID = p.Subject, p.Tenant, p.TokenID
	gatehouse.Emit(r.Context(), e.cfg.Audit, ev)
}
