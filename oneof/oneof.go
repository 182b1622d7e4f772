package oneof

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A Method is one accepted kind of credentials: *bearer.Authenticator and
// *apikey.Authenticator are Methods.
type Method interface {
	// Present reports whether r sends this method's credential, good or
	// bad, without judging it.
	Present(r *http.Request) bool
	// Check judges r; for a request without the credential it returns the
	// method's 401, whose WWW-Authenticate challenge the Selector sends.
	Check(r *http.Request) (gatehouse.Principal, error)
	// Middleware admits a request whose credential it accepts, or
	// answers the refusal.
	Middleware(next http.Handler) http.Handler
}

// DefaultMessage is the message of the 401 for a request without any of
// the accepted credentials.
const DefaultMessage = "Missing credentials"

// Config configures a [Selector].
type Config struct {
	// Methods are the accepted kinds of credentials: at least one, none
	// nil or repeated (a request would always send a repeated method's
	// credential twice). Their order is the order of the challenges of a
	// 401.
	Methods []Method
	// Unauthorized is the answer to a request without credentials, sent
	// with every method's challenge (any challenge of its own is
	// replaced), and BadRequest the answer to one with several. Set them
	// to change the message or the name, code or number, e.g.
	//	Unauthorized: envelope.ErrUnauthorized.WithMessage("Send a token or an API key")
	// Their Status must be 401 and 400. Default: envelope.ErrUnauthorized
	// with DefaultMessage, and envelope.ErrBadRequest with the message of
	// ErrAmbiguous's row of Refusals.
	Unauthorized, BadRequest *envelope.Error
	// Style renders the Selector's own refusals. Default: the request's
	// style (envelope.Use), else envelope.Nested.
	Style envelope.Style
	// Audit receives one event for each of the Selector's own refusals and
	// anonymous admissions; a request given to a method is audited by it.
	// Optional.
	Audit gatehouse.Auditor
	// Now is the clock of audit events. Default: time.Now.
	Now func() time.Time
}

// A Selector hands each request to the one method whose credential it
// sends. It is safe for concurrent use; create it with [New].
type Selector struct {
	methods   []Method
	missing   *envelope.Error
	ambiguous *envelope.Error
	style     envelope.Style
	audit     gatehouse.Auditor
	now       func() time.Time
}

// New validates cfg and returns a Selector, or an error wrapping
// [ErrConfig].
func New(cfg Config) (*Selector, error) {
	var errs []error
	if len(cfg.Methods) == 0 {
		errs = append(errs, errors.New("at least one Method is required"))
	}
	for i, m := range cfg.Methods {
		if isNil(m) {
			errs = append(errs, fmt.Errorf("the method at index %d is nil", i))
			continue
		}
		if j := slices.IndexFunc(cfg.Methods[:i], func(o Method) bool { return same(o, m) }); j >= 0 {
			errs = append(errs, fmt.Errorf("the method at index %d repeats the one at %d", i, j))
		}
	}
	missing, ambiguous := envelope.ErrUnauthorized.WithMessage(DefaultMessage), envelope.ErrBadRequest.WithMessage(refusals[1].Message).WithOAuthCode("invalid_request")
	if e := cfg.Unauthorized; e != nil {
		if e.Status != http.StatusUnauthorized {
			errs = append(errs, fmt.Errorf("the Unauthorized error has status %d, not 401", e.Status))
		}
		missing = e
	}
	if e := cfg.BadRequest; e != nil {
		if e.Status != http.StatusBadRequest {
			errs = append(errs, fmt.Errorf("the BadRequest error has status %d, not 400", e.Status))
		}
		ambiguous = e
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Selector{
		methods:   slices.Clone(cfg.Methods),
		missing:   missing.WithCause(ErrNoCredentials),
		ambiguous: ambiguous.WithCause(ErrAmbiguous),
		style:     cfg.Style,
		audit:     cfg.Audit,
		now:       cfg.Now,
	}, nil
}

// isNil reports whether m is nil, or a nil pointer in an interface.
func isNil(m Method) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// same reports whether a and b are the same Method. Values of types that
// cannot be compared are never the same.
func same(a, b Method) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// Middleware hands each request to the method whose credential it sends,
// which admits it with its Principal or refuses it. A request sending none
// gets 401 with every method's challenge; one sending several, 400.
func (s *Selector) Middleware(next http.Handler) http.Handler {
	return s.handler(next, false)
}

// Optional is [Selector.Middleware] for routes that also serve anonymous
// callers: a request sending none of the credentials goes to next without
// a Principal. A sent credential is judged as by Middleware, so a bad one
// is refused, never served as anonymous.
func (s *Selector) Optional(next http.Handler) http.Handler {
	return s.handler(next, true)
}

func (s *Selector) handler(next http.Handler, optional bool) http.Handler {
	judges := make([]http.Handler, len(s.methods))
	for i, m := range s.methods {
		judges[i] = m.Middleware(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chosen := -1
		for i, m := range s.methods {
			if !m.Present(r) {
				continue
			}
			if chosen >= 0 {
				s.refuse(w, r, s.ambiguous, ReasonAmbiguous)
				return
			}
			chosen = i
		}
		switch {
		case chosen >= 0:
			judges[chosen].ServeHTTP(w, r)
		case optional:
			s.emit(r, 0, "")
			next.ServeHTTP(w, r)
		default:
			s.refuse(w, r, s.missing.WithChallenge(s.challenges(r)), ReasonNoCredentials)
		}
	})
}

// challenges joins the WWW-Authenticate challenges the methods answer r
// with, in order and without repeats.
func (s *Selector) challenges(r *http.Request) string {
	var all []string
	for _, m := range s.methods {
		_, err := m.Check(r)
		e := envelope.As(err)
		if e == nil || e.Status != http.StatusUnauthorized || e.Challenge == "" {
			continue
		}
		if !slices.Contains(all, e.Challenge) {
			all = append(all, e.Challenge)
		}
	}
	return strings.Join(all, ", ")
}

// refuse renders e and audits it.
func (s *Selector) refuse(w http.ResponseWriter, r *http.Request, e *envelope.Error, reason gatehouse.Reason) {
	envelope.WriteStyle(w, r, s.style, e)
	s.emit(r, e.Status, reason)
}

// emit audits one of the Selector's own decisions.
func (s *Selector) emit(r *http.Request, status int, reason gatehouse.Reason) {
	if s.audit == nil {
		return
	}
	ev := gatehouse.NewEvent(r, "oneof", "authenticate")
	ev.Time = s.now()
	ev.Conclude(status, reason)
	gatehouse.Emit(r.Context(), s.audit, ev)
}
