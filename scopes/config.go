package scopes

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures an [Enforcer]. The zero Config is valid: the style of
// [envelope.Use] (else Nested), a "Bearer" challenge without realm, exact
// matching only, no audit and no route table.
type Config struct {
	// Style renders errors. Default: the request's style (envelope.Use),
	// else envelope.Nested.
	Style envelope.Style

	// Realm is the realm parameter of the WWW-Authenticate challenges (see
	// the gatehouse package documentation). Default: "" (no realm
	// parameter).
	Realm string

	// OmitChallenge drops the WWW-Authenticate header from 403 answers,
	// for APIs whose credentials are not bearer tokens (an API key in a
	// custom header, for instance). The 403 body is unchanged. A 401 always
	// carries a challenge (RFC 9110 §15.5.2): see Challenge. Default: false.
	OmitChallenge bool

	// Challenge is the WWW-Authenticate value of the 401 answered when no
	// Principal is present, e.g. `ApiKey realm="api"` for an API-key API.
	// It must contain no control characters. Default: "" (the Bearer
	// challenge with Realm).
	Challenge string

	// ResourceMetadata is the URL of this API's protected-resource metadata
	// (RFC 9728, see bearer.ResourceMetadata.URL), named by the
	// resource_metadata parameter of the Bearer challenges this Enforcer
	// builds (a Challenge set above is used as it is). Default: "" (no
	// parameter).
	ResourceMetadata string

	// Implies maps a granted scope to the scopes it also grants, for example
	//
	//	"products:write": {"products:read"}
	//	"admin":          {"orders:*", "settings:write"}
	//
	// Implications are transitive and explicit: nothing is implied unless
	// listed here. Default: nil (exact matching only).
	Implies map[string][]string

	// Wildcards lets a granted scope of the form "prefix:*" grant every
	// scope that starts with "prefix:" ("orders:*" grants "orders:read" and
	// "orders:refunds:write", never "orders" or "ordersx:read"). Without it
	// "orders:*" is an ordinary scope string. A bare "*" is never a
	// wildcard; map a super-scope with Implies instead. Default: false.
	Wildcards bool

	// Message returns the 403 message for a missing scope. It is called at
	// construction, never per request, with the missing scope (Require) or
	// the alternatives joined by spaces (Any). Default: nil
	// ("Token does not have the required scope: <scope>" for Require and
	// "Token does not have any of the required scopes: <a b>" for Any).
	Message func(scope string) string

	// UnauthenticatedMessage is the 401 message when no Principal is
	// present. Default: "Authentication required".
	UnauthenticatedMessage string

	// Routes is the route-table form used by [Enforcer.Middleware] and
	// [Enforcer.Check]: net/http ServeMux patterns ("GET /orders/{id}",
	// "POST /orders", "/health") mapped to the scopes each needs, matched
	// with the standard library's own matcher, most specific pattern
	// first. A path with an escape a router could decode into another
	// path ("/admin%2Fusers", which ServeMux reads as one segment and a
	// router that decodes first serves as "/admin/users") must meet the
	// rule of every pattern its escaped and decoded forms match, and one
	// whose decoded form has dot segments ("..%2Fadmin") is refused with
	// 403. Default: nil (no table).
	Routes map[string]Rule

	// AllowUnlisted lets requests that match no pattern in Routes through
	// unchecked. Without it they are refused with 403 (fail closed), so a
	// route added to the application but forgotten in the table is never
	// open.
	//
	// It applies only to paths in canonical form. The application's router
	// may serve a path ServeMux would first clean or redirect ("/admin" for
	// "/admin/", "/admin//users", "/admin%2Fusers" decoded) at a listed
	// handler, so such a path must meet the rule of every pattern its
	// cleaned forms match (escaped and decoded, with and without a
	// trailing slash for a subtree root), and is refused with 403 when
	// they match none. A path with dot segments ("/x/../admin", "%2e%2e"
	// too) is always refused: routers disagree on resolving them. Matching
	// is case-sensitive, as in ServeMux: "/ADMIN" is not "/admin/" and is
	// unlisted, so with a router that matches case-insensitively or strips
	// trailing slashes ("/products/" served as "/products"), list those
	// forms too or leave AllowUnlisted off. Without AllowUnlisted every
	// such path is refused as unlisted. Default: false.
	AllowUnlisted bool

	// Audit receives one event per decision of the middleware (source
	// "scopes", action "authorize"). Optional.
	Audit gatehouse.Auditor

	// Now is the clock for audit event times. Default: time.Now.
	Now func() time.Time
}

// A Rule is what one route of a table needs: every scope in All and, when
// Any is not empty, at least one scope in Any. A Rule with neither needs
// only an authenticated Principal.
type Rule struct {
	All []string
	Any []string
}

// An Enforcer checks Principal scopes. It is immutable after [New] and safe
// for concurrent use.
type Enforcer struct {
	cfg        Config
	now        func() time.Time
	reach      map[string][]string // granted scope → every scope it implies (transitive)
	unauth     refusal
	notListed  refusal
	routes     *http.ServeMux
	implicates bool // Implies or Wildcards is set
}

// New validates cfg and returns an Enforcer. Scopes in Implies and Routes
// must be RFC 6749 scope tokens (printable ASCII without space, '"' or '\');
// Routes patterns must be valid, non-conflicting ServeMux patterns, and an
// Any list may not be empty when given. Every problem is reported in one
// error wrapping [ErrConfig].
func New(cfg Config) (*Enforcer, error) {
	// The Enforcer keeps its own copy of the table: a caller changing its
	// map or rules later changes nothing here.
	if cfg.Routes != nil {
		routes := make(map[string]Rule, len(cfg.Routes))
		for p, r := range cfg.Routes {
			routes[p] = Rule{All: slices.Clone(r.All), Any: slices.Clone(r.Any)}
		}
		cfg.Routes = routes
	}
	e := &Enforcer{cfg: cfg, now: cfg.Now}
	if e.now == nil {
		e.now = time.Now
	}
	var problems []error
	for _, g := range slices.Sorted(maps.Keys(cfg.Implies)) {
		if err := validScope(g); err != nil {
			problems = append(problems, fmt.Errorf("an Implies key: %w", err))
		}
		for _, s := range cfg.Implies[g] {
			if err := validScope(s); err != nil {
				problems = append(problems, fmt.Errorf("in Implies[%q]: %w", g, err))
			}
		}
	}
	e.reach = closure(cfg.Implies)
	e.implicates = len(e.reach) > 0 || cfg.Wildcards

	msg := cfg.UnauthenticatedMessage
	if msg == "" {
		msg = refusals[rNoPrincipal].Message
	}
	challenge := cfg.Challenge
	if challenge == "" {
		challenge = envelope.AppendAuthParam(envelope.BearerChallenge(cfg.Realm, "", "", ""), "resource_metadata", cfg.ResourceMetadata)
	}
	if strings.ContainsFunc(challenge, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		problems = append(problems, fmt.Errorf("the Challenge %q has control characters", challenge))
	}
	e.unauth = e.refusal(envelope.ErrUnauthorized.WithMessage(msg).WithCause(refusals[rNoPrincipal].Err).WithChallenge(challenge))
	// A route missing from the table is refused whatever the scopes, so it
	// is access_denied: no scope the client could ask for would help.
	e.notListed = e.refusal(envelope.ErrForbidden.WithMessage(refusals[rNotListed].Message).
		WithOAuthCode("access_denied").WithCause(refusals[rNotListed].Err))

	if cfg.Routes != nil {
		mux, errs := e.compileRoutes(cfg.Routes)
		problems = append(problems, errs...)
		e.routes = mux
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	return e, nil
}

// route is the handler registered for each table pattern; the mux is used
// only to find it, never to serve.
type route struct{ req *requirement }

func (*route) ServeHTTP(http.ResponseWriter, *http.Request) {}

// compileRoutes returns the mux of the route table, and its problems.
func (e *Enforcer) compileRoutes(routes map[string]Rule) (mux *http.ServeMux, problems []error) {
	mux = http.NewServeMux()
	// Register in a stable order so that a conflict is reported the same
	// way every time.
	for _, p := range slices.Sorted(maps.Keys(routes)) {
		req, err := e.compile(routes[p])
		if err != nil {
			problems = append(problems, fmt.Errorf("in Routes[%q]: %w", p, err))
			continue
		}
		if err := register(mux, p, &route{req}); err != nil {
			problems = append(problems, fmt.Errorf("in Routes[%q]: %w", p, err))
		}
	}
	return mux, problems
}

// register adds h under pattern, turning ServeMux's construction-time panic
// on an invalid or conflicting pattern into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid pattern: %v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// validScope returns nil when s is an RFC 6749 §3.3 scope-token
// ([gatehouse.ValidScope]), else an error naming the first character that
// is not allowed.
func validScope(s string) error {
	switch {
	case gatehouse.ValidScope(s):
		return nil
	case s == "":
		return errors.New("empty scope")
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !gatehouse.ValidScope(string(r)) })
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Errorf("invalid character %q in scope %q", r, s)
}

// closure returns, for every key of implies, the transitive set of scopes it
// implies (itself excluded).
func closure(implies map[string][]string) map[string][]string {
	if len(implies) == 0 {
		return nil
	}
	reach := make(map[string][]string, len(implies))
	for g := range implies {
		var out []string
		queue := slices.Clone(implies[g])
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			if s == g || slices.Contains(out, s) {
				continue
			}
			out = append(out, s)
			queue = append(queue, implies[s]...)
		}
		reach[g] = out
	}
	return reach
}

// wildcardsFor returns the wildcard scopes that grant s: "a:*" and "a:b:*"
// for "a:b:c".
func wildcardsFor(s string) []string {
	var out []string
	for i := 1; i < len(s)-1; i++ {
		if s[i] == ':' {
			out = append(out, s[:i+1]+"*")
		}
	}
	return out
}

// satisfiers returns every granted scope that grants s under the
// configuration: s itself, its wildcards (when enabled) and every scope that
// implies one of those.
func (e *Enforcer) satisfiers(s string) []string {
	targets := []string{s}
	if e.cfg.Wildcards {
		targets = append(targets, wildcardsFor(s)...)
	}
	out := slices.Clone(targets)
	for g, implied := range e.reach {
		if slices.Contains(out, g) {
			continue
		}
		for _, t := range targets {
			if slices.Contains(implied, t) {
				out = append(out, g)
				break
			}
		}
	}
	slices.Sort(out[1:]) // deterministic; s stays first for the fast path
	return out
}

func (e *Enforcer) message(scope string, oneOf bool) string {
	if e.cfg.Message != nil {
		return e.cfg.Message(scope)
	}
	if oneOf {
		return anyMessage + ": " + scope
	}
	return refusals[rInsufficient].Message + ": " + scope
}

// forbidden builds the 403 for a missing scope; challengeScope is the
// scope parameter of the challenge (the full requirement).
func (e *Enforcer) forbidden(scope, challengeScope string, oneOf bool) *envelope.Error {
	err := envelope.ErrForbidden.WithMessage(e.message(scope, oneOf)).
		WithOAuthCode("insufficient_scope").WithCause(refusals[rInsufficient].Err)
	if !e.cfg.OmitChallenge {
		err = err.WithChallenge(envelope.AppendAuthParam(envelope.BearerChallenge(e.cfg.Realm, "insufficient_scope", "", challengeScope), "resource_metadata", e.cfg.ResourceMetadata))
	}
	return err
}

// refusal returns err with err prepared for writing in the configured
// style.
func (e *Enforcer) refusal(err *envelope.Error) refusal {
	return refusal{err: err, prepared: envelope.Prepare(e.cfg.Style, err)}
}

// compile turns a Rule into a requirement with its errors prebuilt.
func (e *Enforcer) compile(rule Rule) (*requirement, error) {
	if rule.Any != nil && len(rule.Any) == 0 {
		return nil, errors.New("empty Any list")
	}
	for _, s := range rule.All {
		if err := validScope(s); err != nil {
			return nil, err
		}
	}
	for _, s := range rule.Any {
		if err := validScope(s); err != nil {
			return nil, err
		}
	}
	q := &requirement{}
	all := dedupe(rule.All)
	challenge := strings.Join(all, " ")
	for _, s := range all {
		q.all = append(q.all, e.term(s))
		q.refusals = append(q.refusals, e.refusal(e.forbidden(s, challenge, false)))
	}
	if len(rule.Any) > 0 {
		anyOf := dedupe(rule.Any)
		joined := strings.Join(anyOf, " ")
		for _, s := range anyOf {
			q.any = append(q.any, e.term(s))
		}
		q.refusals = append(q.refusals, e.refusal(e.forbidden(joined, joined, true)))
	}
	return q, nil
}

func (e *Enforcer) term(s string) term {
	t := term{scope: s}
	if e.implicates {
		if sat := e.satisfiers(s); len(sat) > 1 {
			t.alt = sat[1:]
		}
	}
	return t
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
